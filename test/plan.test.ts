import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DatasetManifest, INTENSITY_PERCENTILES, type PlansRecord, plansAreCurrent } from '@medseg/data';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMedseg, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';

// STS_001-003 are the patients whose IBSI NIfTI image ships beside the mask: numpy reads the raw MR
// intensities and the IBSI's own rasterisation from there, independently of medseg's DICOM and RTSTRUCT readers.
const patients = [1, 2, 3].map(stsPatient);

interface NumpySide {
  count: number;
  mean: number;
  std: number;
  percentiles: number[];
}
interface NumpyCase {
  id: string;
  shape: number[];
  spacing: number[];
  foregroundVoxels: number;
  foregroundSlices: number;
  foreground: NumpySide;
  background: NumpySide;
}

function numpyFingerprint(): { cases: NumpyCase[]; pooled: NumpySide } {
  const script = `
import json, sys, numpy as np, nibabel as nib
levels = json.loads(sys.argv[1])
side = lambda v: dict(count=int(v.size), mean=float(v.mean()), std=float(v.std()), percentiles=[float(x) for x in np.percentile(v, levels)])
cases, pooled = [], []
for pid in sys.argv[3:]:
    image = nib.load(f"{sys.argv[2]}/{pid}/MR_T1_image.nii.gz")
    mask = np.asanyarray(nib.load(f"{sys.argv[2]}/{pid}/MR_T1_mask.nii.gz").dataobj) > 0
    data = np.asanyarray(image.dataobj).astype(np.float64)
    pooled.append(data[mask])
    cases.append(dict(id=pid, shape=list(data.shape), spacing=[float(z) for z in image.header.get_zooms()],
        foregroundVoxels=int(mask.sum()), foregroundSlices=int(mask.any(axis=(0, 1)).sum()),
        foreground=side(data[mask]), background=side(data[~mask])))
print(json.dumps(dict(cases=cases, pooled=side(np.concatenate(pooled)))))
`;
  const result = spawnSync(debianPython, ['-c', script, JSON.stringify(INTENSITY_PERCENTILES), sharedPath('data/sts/nifti'), ...patients], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { cases: NumpyCase[]; pooled: NumpySide };
}

/** numpy's share of the pooled foreground voxels below and at-or-below each value (within 1e-6 of it: bisection's tolerance). */
function numpyPooledRanks(values: number[]): [number, number][] {
  const script = `
import json, sys, numpy as np, nibabel as nib
pooled = np.concatenate([np.asanyarray(nib.load(f"{sys.argv[2]}/{p}/MR_T1_image.nii.gz").dataobj)[np.asanyarray(nib.load(f"{sys.argv[2]}/{p}/MR_T1_mask.nii.gz").dataobj) > 0] for p in sys.argv[3:]]).astype(np.float64)
eps = lambda v: 1e-6 * max(1.0, abs(v))
print(json.dumps([[float((pooled < v - eps(v)).mean()), float((pooled <= v + eps(v)).mean())] for v in json.loads(sys.argv[1])]))
`;
  const result = spawnSync(debianPython, ['-c', script, JSON.stringify(values), sharedPath('data/sts/nifti'), ...patients], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as [number, number][];
}

describe('medseg plan on three STS patients, against numpy and nibabel', () => {
  const dataset = join(temporaryFolder('plan'), 'ds');
  let record: PlansRecord;
  let manifest: DatasetManifest;
  let reference: ReturnType<typeof numpyFingerprint>;

  beforeAll(() => {
    const ingest = runMedseg(['ingest', '--images', stsSubset(patients), '--roi', 'GTV*', '--out', dataset, '--val', '0', '--val-patients', 'STS_003']);
    expect(ingest.status, ingest.stderr).toBe(0);
    const plan = runMedseg(['plan', '--dataset', dataset, '--time-budget', '30m', '--cores', '2', '--json']);
    expect(plan.status, plan.stderr).toBe(0);
    record = JSON.parse(plan.stdout) as PlansRecord;
    manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as DatasetManifest;
    reference = numpyFingerprint();
  });

  it('writes plans.json beside the manifest, the same record it prints', () => {
    expect(existsSync(join(dataset, 'plans.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dataset, 'plans.json'), 'utf8'))).toEqual(record);
    expect(record.schemaVersion).toBe(1);
    expect(record.options.timeBudgetSeconds).toBe(1800);
  });

  it('times real training steps of the planned network by default and plans with the measured step time', () => {
    const { plan, options } = record;
    const e = plan.estimate;
    const t = plan.train;
    expect(options.measured).toBe(true);
    expect(e.secondsPerStepSource).toBe('measured');
    const m = e.measurement!;
    // The network measured is the one planned, with the planned workers (two replicas threads on wasm).
    expect(m.network).toEqual({ encoder: t.encoder.value, decoderFilters: t.decoderFilters.value, inputSize: t.inputSize.value, batchSize: t.batchSize.value, contextSlices: t.contextSlices.value, workers: t.workers.value });
    expect(m.steps).toBe(3);
    expect(m.measuredWorkers).toBe(2);
    expect(m.secondsPerStep).toBeGreaterThan(0);
    expect(e.secondsPerStep).toBeCloseTo(m.secondsPerStep, 3);
    expect(m.wallSeconds).toBeGreaterThan(m.steps * m.secondsPerStep);
    // The minutes follow from it: models x (fixed overhead + epochs x (steps x s/step + validation) + choosing the
    // post-processing: the validation slices through flip TTA's 4 forward passes each).
    expect(e.secondsPerEpoch).toBeGreaterThan(e.stepsPerEpoch * e.secondsPerStep);
    expect(e.postprocessingSeconds).toBeGreaterThan(0);
    expect(e.minutes).toBeCloseTo((e.models * (60 + t.epochs.value * e.secondsPerEpoch + e.postprocessingSeconds)) / 60, 0);
    expect(t.epochs.reason).toMatch(/s\/step measured on this machine over 3 timed steps/);
    expect(t.epochs.reason).toContain(`training takes ${e.minutes} min`);
  });

  it('keeps the estimate with --no-measure, and a given --seconds-per-step wins', () => {
    const copy = join(temporaryFolder('plan-estimate'), 'ds');
    cpSync(dataset, copy, { recursive: true });
    const estimated = runMedseg(['plan', '--dataset', copy, '--time-budget', '30m', '--cores', '2', '--no-measure', '--json']);
    expect(estimated.status, estimated.stderr).toBe(0);
    const a = JSON.parse(estimated.stdout) as PlansRecord;
    expect(a.plan.estimate.secondsPerStepSource).toBe('estimated');
    expect(a.plan.estimate.measurement).toBeNull();
    expect(a.options.measured).toBe(false);
    expect(a.plan.train.epochs.reason).toMatch(/estimated \(not measured\)/);
    const given = runMedseg(['plan', '--dataset', copy, '--time-budget', '30m', '--cores', '2', '--seconds-per-step', '2.5']);
    expect(given.status, given.stderr).toBe(0);
    expect(given.stdout).toMatch(/at 2\.5 s\/step \(measured\)/);
    const b = JSON.parse(readFileSync(join(copy, 'plans.json'), 'utf8')) as PlansRecord;
    expect(b.options.secondsPerStep).toBe(2.5);
    expect(b.plan.estimate.measurement).toBeNull();
    expect(b.plan.train.epochs.reason).toMatch(/given \(--seconds-per-step 2\.5/);
  });

  it('records each case’s raw intensities inside and outside the mask at ingest, as numpy computes them', () => {
    for (const expected of reference.cases) {
      const entry = manifest.cases.find((c) => c.id === expected.id)!;
      expect(entry.sourceGrid!.shape).toEqual(expected.shape);
      for (const side of ['foreground', 'background'] as const) {
        const ours = entry.intensity![side];
        expect(ours.count, `${expected.id} ${side}`).toBe(expected[side].count);
        expect(ours.mean!).toBeCloseTo(expected[side].mean, 6);
        expect(ours.std!).toBeCloseTo(expected[side].std, 6);
        ours.percentiles.forEach(([q, value], i) => {
          expect(q).toBe(INTENSITY_PERCENTILES[i]);
          expect(value, `${expected.id} ${side} p${q}`).toBeCloseTo(expected[side].percentiles[i]!, 6);
        });
      }
    }
  });

  it('fingerprints geometry, foreground and pooled intensities as numpy and nibabel see them', () => {
    const fp = record.fingerprint;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
    expect(fp.cases).toBe(3);
    expect(fp.patients).toBe(3);
    expect(fp.patientsBySplit).toEqual({ train: 2, val: 1, test: 0 });
    expect(fp.modality).toBe('MR');
    expect(fp.intensity.source).toBe('raw');
    expect(fp.size.columns.median).toBe(median(reference.cases.map((c) => c.shape[0]!)));
    expect(fp.size.rows.median).toBe(median(reference.cases.map((c) => c.shape[1]!)));
    expect(fp.size.slices.min).toBe(Math.min(...reference.cases.map((c) => c.shape[2]!)));
    expect(fp.size.slices.max).toBe(Math.max(...reference.cases.map((c) => c.shape[2]!)));
    expect(fp.spacing.x.median).toBeCloseTo(median(reference.cases.map((c) => c.spacing[0]!)), 4);
    expect(fp.spacing.z.median).toBeCloseTo(median(reference.cases.map((c) => c.spacing[2]!)), 3);
    expect(fp.foreground.voxels.median).toBe(median(reference.cases.map((c) => c.foregroundVoxels)));
    expect(fp.foreground.slices.median).toBe(median(reference.cases.map((c) => c.foregroundSlices)));
    // Pooled mean and std are exact; pooled percentiles come from the per-case quantile tables (0.5 % apart), so
    // they are accurate in rank: numpy's share of the pooled voxels below each is within 0.5 % of its level.
    const pooled = reference.pooled;
    expect(fp.intensity.foreground.count).toBe(pooled.count);
    expect(fp.intensity.foreground.mean!).toBeCloseTo(pooled.mean, 6);
    expect(fp.intensity.foreground.std!).toBeCloseTo(pooled.std, 6);
    const ranks = numpyPooledRanks(fp.intensity.foreground.percentiles.map(([, value]) => value));
    fp.intensity.foreground.percentiles.forEach(([q], i) => {
      const [below, atOrBelow] = ranks[i]!;
      expect(q / 100, `p${q}`).toBeGreaterThanOrEqual(below! - 0.005);
      expect(q / 100, `p${q}`).toBeLessThanOrEqual(atOrBelow! + 0.005);
    });
  });

  it('plans from that fingerprint: MR percentiles, the FOV covered by a multiple of 32, folds for one validation patient too few', () => {
    const { plan, fingerprint: fp } = record;
    expect(plan.ingest.normalize.value).toBe('percentile:0.5,99.5');
    const fov = Math.max(fp.fieldOfView.x.median, fp.fieldOfView.y.median);
    expect(plan.train.inputSize.value % 32).toBe(0);
    expect(plan.train.inputSize.value * plan.ingest.spacing.value).toBeGreaterThanOrEqual(fov - 1e-6);
    expect((plan.train.inputSize.value - 32) * plan.ingest.spacing.value).toBeLessThan(fov);
    // One validation patient and two development patients in all: too few for folds, and the plan says so.
    expect(plan.train.validation.value).toEqual({ kind: 'split' });
    expect(plan.train.validation.reason).toMatch(/too few for folds/);
    expect(plan.estimate.withinBudget).toBe(true);
    expect(plan.train.workers.value).toBe(2);
  });

  it('fingerprints the stored (normalised) arrays of a dataset ingested without raw intensities, and says so', async () => {
    const old = join(temporaryFolder('plan-old'), 'ds');
    cpSync(dataset, old, { recursive: true });
    const stripped = { ...manifest, cases: manifest.cases.map(({ intensity: _intensity, sourceGrid: _grid, ...rest }) => rest) };
    writeFileSync(join(old, 'manifest.json'), JSON.stringify(stripped));
    const plan = runMedseg(['plan', '--dataset', old, '--no-measure', '--json']);
    expect(plan.status, plan.stderr).toBe(0);
    const fp = (JSON.parse(plan.stdout) as PlansRecord).fingerprint;
    // The first dataset's plan is current there and stale for the edited copy.
    expect(await plansAreCurrent(dataset, record)).toBe(true);
    expect(await plansAreCurrent(old, record)).toBe(false);
    expect(fp.intensity.source).toBe('normalised');
    expect(fp.grid).toBe('stored');
    const script = `
import sys, json, numpy as np, nibabel as nib
v = [np.asanyarray(nib.load(f"{sys.argv[1]}/cases/{p}/image.nii.gz").dataobj)[np.asanyarray(nib.load(f"{sys.argv[1]}/cases/{p}/mask.nii.gz").dataobj) > 0] for p in sys.argv[2:]]
v = np.concatenate(v).astype(np.float64)
print(json.dumps([int(v.size), float(v.mean()), float(v.std())]))
`;
    const result = spawnSync(debianPython, ['-c', script, old, ...patients], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const [count, mean, std] = JSON.parse(result.stdout) as [number, number, number];
    expect(fp.intensity.foreground.count).toBe(count);
    expect(fp.intensity.foreground.mean!).toBeCloseTo(mean, 5);
    expect(fp.intensity.foreground.std!).toBeCloseTo(std, 5);
  });

  it('fails on a folder that is not a dataset, naming it, and on a bad budget with a usage error', () => {
    const empty = temporaryFolder('plan-empty');
    const missing = runMedseg(['plan', '--dataset', empty]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`${empty}: not a medseg dataset`);
    const usage = runMedseg(['plan', '--dataset', dataset, '--time-budget', 'soon']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/expected a duration such as 30m/);
  });
});
