import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, tempFolder } from '../testing/python.js';
import { type ReferenceCase, type ReferenceSpec, referenceCases } from '../testing/scipyReference.js';
import { binaryMask } from './binaryMask.js';
import { evaluateCase } from './evaluateCase.js';
import { surfaceDistances } from './surfaceDistances.js';

const tolerances = [1, 2.5];
const specs: ReferenceSpec[] = [
  { name: 'shifted', sts: 'STS_001', perturb: 'shift', shift: [2, -3, 1], tolerances },
  { name: 'eroded', sts: 'STS_002', perturb: 'erode', tolerances },
  { name: 'dilated', sts: 'STS_003', perturb: 'dilate', tolerances },
  { name: 'shifted, anisotropic spacing', sts: 'STS_004', perturb: 'shift', shift: [-1, 2, -1], spacing: [0.6, 1.4, 5.0], tolerances },
  { name: 'dilated, touching the image border', sts: 'STS_005', perturb: 'dilate', cropToBorder: true, tolerances },
  { name: '2D slice, shifted, anisotropic', sts: 'STS_006', perturb: 'shift', shift: [3, 1, 0], slice2d: true, spacing: [0.8, 1.7, 3], tolerances },
  { name: 'two labels, shifted', sts: 'STS_007', perturb: 'shift', shift: [1, 1, 0], twoLabels: true, tolerances },
  { name: 'empty prediction', sts: 'STS_008', perturb: 'empty', slice2d: true, tolerances },
  { name: 'both empty', sts: 'STS_009', perturb: 'empty', blankTruth: true, slice2d: true, tolerances },
];

const tmp = tempFolder();
let cases: ReferenceCase[] = [];
beforeAll(() => {
  cases = referenceCases(specs, tmp.path);
});
afterAll(() => tmp.dispose());

const nullToNaN = (v: number | null): number => (v === null ? NaN : v);

describe('evaluateCase against numpy/scipy on real STS masks', () => {
  it.each(specs.map((s, k) => [s.name, k] as const))('%s: every metric to 1e-6', (_name, k) => {
    const c = cases[k]!;
    const grid = { shape: c.shape, spacing: c.spacing };
    const labels = [...c.labels.keys()];
    for (const tolerance of tolerances) {
      const metrics = evaluateCase(c.pred, c.truth, grid, { labels, toleranceMm: tolerance });
      for (const m of metrics) {
        const ref = c.labels.get(m.label)!;
        const where = `${c.spec.name}, label ${m.label}`;
        expect({ tp: m.tp, fp: m.fp, fn: m.fn, tn: m.tn }, where).toEqual({ tp: ref.tp, fp: ref.fp, fn: ref.fn, tn: ref.tn });
        const pairs: [string, number, number | null][] = [
          ['dice', m.dice, ref.dice],
          ['iou', m.iou, ref.iou],
          ['precision', m.precision, ref.precision],
          ['recall', m.recall, ref.recall],
          ['specificity', m.specificity, ref.specificity],
          ['volumeDiffMl', m.volumeDiffMl, ref.volume_diff],
        ];
        if (m.empty !== 'truth') pairs.push(['relVolumeDiff', m.relVolumeDiff, ref.rel_volume_diff]);
        if (m.empty === 'none') {
          expect(ref.hd, `${where}: the reference has distances`).not.toBeNull();
          pairs.push(['hd', m.hd, ref.hd], ['hd95', m.hd95, ref.hd95], ['assd', m.assd, ref.assd]);
          pairs.push(['surfaceDice', m.surfaceDice, ref.nsd[tolerances.indexOf(tolerance)]!]);
        }
        for (const [metric, actual, expected] of pairs) {
          const e = nullToNaN(expected);
          if (Number.isNaN(e)) expect(actual, `${where} ${metric}`).toBeNaN();
          else expect(Math.abs(actual - e), `${where} ${metric}: ${actual} vs ${e}`).toBeLessThan(1e-6);
        }
      }
    }
  });

  it('gives the same directed surface distances as scipy, voxel by voxel', () => {
    for (const c of cases) {
      for (const [label, ref] of c.labels) {
        if (ref.predToTruth.length === 0) continue;
        const d = surfaceDistances(binaryMask(c.pred, label), binaryMask(c.truth, label), { shape: c.shape, spacing: c.spacing });
        expect(maxAbsDiff(d.predToTruth, ref.predToTruth), c.spec.name).toBeLessThan(1e-9);
        expect(maxAbsDiff(d.truthToPred, ref.truthToPred), c.spec.name).toBeLessThan(1e-9);
      }
    }
  });

  it('follows the empty rules: one empty gives Dice 0 and infinite distances; both empty gives NaN or 1', () => {
    const onlyTruth = cases[7]!;
    const grid = { shape: onlyTruth.shape, spacing: onlyTruth.spacing };
    const [m] = evaluateCase(onlyTruth.pred, onlyTruth.truth, grid, { labels: [1] });
    expect(m!.empty).toBe('pred');
    expect(m!.dice).toBe(0);
    expect(m!.hd).toBe(Infinity);
    expect(m!.hd95).toBe(Infinity);
    expect(m!.assd).toBe(Infinity);
    expect(m!.surfaceDice).toBe(0);
    expect(m!.precision).toBeNaN();
    expect(m!.recall).toBe(0);

    const both = cases[8]!;
    const bothGrid = { shape: both.shape, spacing: both.spacing };
    const [nan] = evaluateCase(both.pred, both.truth, bothGrid, { labels: [1], empty: 'nan' });
    expect(nan!.empty).toBe('both');
    for (const v of [nan!.dice, nan!.iou, nan!.precision, nan!.recall, nan!.hd, nan!.hd95, nan!.assd, nan!.surfaceDice]) expect(v).toBeNaN();
    expect(nan!.specificity).toBe(1);
    const [one] = evaluateCase(both.pred, both.truth, bothGrid, { labels: [1], empty: 'one' });
    expect([one!.dice, one!.iou, one!.precision, one!.recall, one!.surfaceDice]).toEqual([1, 1, 1, 1, 1]);
    expect([one!.hd, one!.hd95, one!.assd, one!.volumeDiffMl]).toEqual([0, 0, 0, 0]);
  });
});
