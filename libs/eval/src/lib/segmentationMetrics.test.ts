import { createRng } from '@medseg/data';
import { describe, expect, it } from 'vitest';
import { runPython } from '../testing/python.js';
import { evaluateCase } from './evaluateCase.js';
import { pairedComparison } from './pairedComparison.js';
import { SegmentationMetrics } from './segmentationMetrics.js';

/** Random blobs on a small 3D grid: truth a box, prediction the box jittered, sometimes absent. */
function makeCase(rng: ReturnType<typeof createRng>, empty: 'none' | 'pred' | 'both') {
  const shape = [16, 14, 8] as const;
  const truth = new Uint8Array(16 * 14 * 8);
  const pred = new Uint8Array(truth.length);
  const at = (x: number, y: number, z: number) => x + 16 * (y + 14 * z);
  const x0 = rng.int(2, 6), y0 = rng.int(2, 5), size = rng.int(4, 8);
  const dx = rng.int(-1, 2), dy = rng.int(-1, 2);
  if (empty !== 'both') for (let z = 2; z < 6; z++) for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) truth[at(x, y, z)] = 1;
  if (empty === 'none') for (let z = 2; z < 6; z++) for (let y = y0 + dy; y < y0 + dy + size; y++) for (let x = x0 + dx; x < x0 + dx + size; x++) pred[at(x, y, z)] = 1;
  return { truth, pred, grid: { shape, spacing: [1, 1, 2] as const } };
}

describe('SegmentationMetrics', () => {
  it('accumulates cases (reset, update, aggregate), counts empty cases and matches numpy statistics', () => {
    const rng = createRng(21);
    const metric = new SegmentationMetrics({ labels: [1], perSlice: true, seed: 4, resamples: 300 });
    metric.update('junk', new Uint8Array(16 * 14 * 8), new Uint8Array(16 * 14 * 8), { shape: [16, 14, 8], spacing: [1, 1, 1] });
    metric.reset();
    expect(metric.results()).toHaveLength(0);
    const states = ['none', 'none', 'pred', 'none', 'both', 'none', 'none', 'none'] as const;
    states.forEach((state, i) => {
      const c = makeCase(rng, state);
      metric.update(`case${i}`, c.pred, c.truth, c.grid, `patient${i >> 1}`);
    });
    const a = metric.aggregate();
    expect(a.emptyCounts).toEqual({ both: 1, truthOnly: 1, predOnly: 0 });
    const dice = metric.results().map((r) => r.dice);
    const stats = a.perCase['1']!.dice!;
    expect([stats.n, stats.nan, stats.infinite]).toEqual([7, 1, 0]);
    const finite = dice.filter(Number.isFinite);
    const e = runPython<number[]>('import numpy as np\na=np.array(inp)\nprint(json.dumps([a.mean(), a.std(ddof=1), np.median(a)]))', finite);
    expect(stats.mean).toBeCloseTo(e[0]!, 12);
    expect(stats.std).toBeCloseTo(e[1]!, 12);
    expect(stats.median).toBeCloseTo(e[2]!, 12);
    expect(a.perCase['1']!.hd!.infinite).toBe(1);
    // Per patient: patient k holds cases 2k and 2k+1; its value is the mean of their finite values.
    expect(a.perPatient['1']!.dice!.n).toBe(4);
    const patientMeans = [0, 1, 2, 3].map((k) => dice.slice(2 * k, 2 * k + 2).filter(Number.isFinite)).map((v) => v.reduce((s, x) => s + x, 0) / v.length);
    expect(a.perPatient['1']!.dice!.mean).toBeCloseTo(patientMeans.reduce((s, x) => s + x, 0) / 4, 12);
    expect(a.perSlice!['1']!.dice!.n).toBeGreaterThan(0);
    // The same seed gives the same intervals.
    expect(metric.aggregate().perCase['1']!.dice!.ci95).toEqual(stats.ci95);
  });

  it('compares two runs case by case: mean difference and scipy Wilcoxon p', () => {
    const rng = createRng(8);
    const a = new SegmentationMetrics({ labels: [1] });
    const b = new SegmentationMetrics({ labels: [1] });
    for (let i = 0; i < 14; i++) {
      const c = makeCase(rng, 'none');
      a.update(`c${i}`, c.pred, c.truth, c.grid);
      const worse = Uint8Array.from(c.pred);
      for (let k = 0; k < worse.length; k += 7 + i) worse[k] = 0;
      b.update(`c${i}`, worse, c.truth, c.grid);
    }
    const paired = pairedComparison(a.results(), b.results(), { seed: 1, resamples: 500 });
    const dice = paired['1']!.dice!;
    const x = a.results().map((r) => r.dice);
    const y = b.results().map((r) => r.dice);
    expect(dice.meanDiff).toBeCloseTo(x.reduce((s, v, i) => s + v - y[i]!, 0) / x.length, 12);
    expect(dice.ci95[0]).toBeLessThanOrEqual(dice.meanDiff);
    expect(dice.ci95[1]).toBeGreaterThanOrEqual(dice.meanDiff);
    const p = runPython<number>('from scipy.stats import wilcoxon\nprint(json.dumps(float(wilcoxon(inp[0], inp[1]).pvalue)))', [x, y]);
    expect(Math.abs(dice.wilcoxon!.pValue - p) / p).toBeLessThan(1e-9);
    expect(evaluateCase(new Uint8Array(8), new Uint8Array(8), { shape: [2, 2, 2], spacing: [1, 1, 1] }, { labels: [1] })[0]!.empty).toBe('both');
  });
});
