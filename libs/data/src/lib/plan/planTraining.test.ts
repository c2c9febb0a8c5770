import { describe, expect, it } from 'vitest';
import type { Split } from '../dataset/assignSplit.js';
import type { DatasetCase, DatasetManifest } from '../dataset/datasetTypes.js';
import { createRng } from '../random.js';
import type { Vec3 } from '../volume.js';
import { datasetFingerprint, poolIntensities } from './datasetFingerprint.js';
import { summarizeIntensities, summarizeValues } from './intensitySummary.js';
import { encoderExtraSecondsPerImage, estimatedSecondsPerStep, PLAN_RULES, type PlannedNetwork, planTraining, type StepMeasurement } from './planTraining.js';
import { validatePlans } from './plansRecord.js';

interface SyntheticOptions {
  readonly modality: 'CT' | 'MR';
  readonly patients: number;
  readonly val: number;
  readonly shape: Vec3;
  readonly spacing: number;
  /** Foreground and background intensity: mean and std of normal draws. */
  readonly fg: readonly [number, number];
  readonly bg: readonly [number, number];
}

/** A manifest of synthetic cases with raw intensity summaries of drawn voxels (a small stand-in volume per case). */
function syntheticDataset(o: SyntheticOptions): { manifest: DatasetManifest; foreground: number[][] } {
  const rng = createRng(5);
  const foreground: number[][] = [];
  const cases: DatasetCase[] = Array.from({ length: o.patients }, (_, i) => {
    const n = 400;
    const labels = Uint8Array.from({ length: n }, (_, k) => (k < 100 + i * 7 ? 1 : 0));
    const values = Float32Array.from(labels, (l) => (l ? o.fg[0] + o.fg[1] * rng.normal() : o.bg[0] + o.bg[1] * rng.normal()));
    foreground.push(Array.from(values.filter((_, k) => labels[k]! > 0)));
    const split: Split = i < o.val ? 'val' : 'train';
    const shape: Vec3 = [o.shape[0] + (i % 3) * 2, o.shape[1], o.shape[2]];
    return {
      id: `P${i}`,
      patientId: `P${i}`,
      studyInstanceUid: '1',
      seriesInstanceUid: `1.${i}`,
      modality: o.modality,
      split,
      shape,
      spacing: [o.spacing, o.spacing, 3],
      origin: [0, 0, 0],
      direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
      normalization: { spec: { kind: 'percentile', lower: 0.5, upper: 99.5 }, parameters: { low: 0, high: 1 } },
      classVoxels: [0, 0],
      foregroundVoxels: 1000,
      foregroundSlices: Array.from({ length: Math.floor(o.shape[2] / 2) }, (_, z) => z),
      source: { imageFiles: o.shape[2], firstImage: '', mask: '', maskKind: 'rtstruct', sopInstanceUids: [] },
      problems: [],
      sourceGrid: { shape, spacing: [o.spacing, o.spacing, 3] },
      intensity: summarizeIntensities(values, labels),
      files: { image: '', mask: '', preview: '' },
    };
  });
  const manifest = { schemaVersion: 1, generator: 'test', settings: { emptySlices: 'keep' }, classes: ['background', 'tumour'], splits: { train: 0, val: 0, test: 0 }, cases, skipped: [] } as unknown as DatasetManifest;
  return { manifest, foreground };
}

const ctLarge: SyntheticOptions = { modality: 'CT', patients: 40, val: 8, shape: [512, 512, 100], spacing: 0.7, fg: [60, 25], bg: [-400, 500] };
const mrSmall: SyntheticOptions = { modality: 'MR', patients: 36, val: 7, shape: [150, 146, 60], spacing: 0.9766, fg: [700, 150], bg: [300, 200] };

describe('poolIntensities', () => {
  it('pools count, mean and std exactly and approximates pooled percentiles from per-case tables', () => {
    const { manifest, foreground } = syntheticDataset(ctLarge);
    const pooled = poolIntensities(manifest.cases.map((c) => c.intensity!.foreground));
    const all = Float64Array.from(foreground.flat());
    const direct = summarizeValues(Float64Array.from(all));
    expect(pooled.count).toBe(all.length);
    expect(pooled.mean!).toBeCloseTo(direct.mean!, 8);
    expect(pooled.std!).toBeCloseTo(direct.std!, 8);
    // A quantile sketch is accurate in rank: the share of all the values below each pooled percentile is within
    // one table step (0.5 %) of its level.
    for (const [q, value] of pooled.percentiles) {
      const below = all.filter((x) => x < value).length / all.length;
      const atOrBelow = all.filter((x) => x <= value).length / all.length;
      expect(q / 100, `p${q}`).toBeGreaterThanOrEqual(below - 0.005);
      expect(q / 100, `p${q}`).toBeLessThanOrEqual(atOrBelow + 0.005);
    }
    // One case gives back its own table.
    const one = poolIntensities([manifest.cases[0]!.intensity!.foreground]);
    for (const [i, [, value]] of one.percentiles.entries()) expect(value).toBeCloseTo(manifest.cases[0]!.intensity!.foreground.percentiles[i]![1], 6);
  });
});

describe('planTraining', () => {
  it('CT with a large field of view: caps the input size, coarsens the spacing, and plans nnU-Net CT normalisation from the foreground', () => {
    const { manifest } = syntheticDataset(ctLarge);
    const fp = datasetFingerprint(manifest);
    const plan = planTraining(fp, { cores: 2 });
    // Median FOV 513.4 px x 0.7 mm = 359.4 mm needs 544 px: capped at 256, spacing 359.4 / 256.
    expect(fp.fieldOfView.x.median).toBeCloseTo(514 * 0.7, 6);
    expect(plan.train.inputSize.value).toBe(256);
    expect(plan.ingest.spacing.value).toBeCloseTo((514 * 0.7) / 256, 3);
    expect(plan.ingest.spacing.reason).toMatch(/coarsens/);
    const p = (q: number) => fp.intensity.foreground.percentiles.find(([level]) => level === q)![1];
    const [low, high, mean, std] = plan.ingest.normalize.value.replace(/^ct:/, '').split(',').map(Number);
    expect(plan.ingest.normalize.value.startsWith('ct:')).toBe(true);
    expect(low).toBeCloseTo(p(0.5), 1);
    expect(high).toBeCloseTo(p(99.5), 1);
    expect(mean).toBeCloseTo(fp.intensity.foreground.mean!, 1);
    expect(std).toBeCloseTo(fp.intensity.foreground.std!, 1);
    // Foreground HU of soft tissue: the clip lies around 60 +- 2.6 std.
    expect(low!).toBeLessThan(60 - 2 * 25);
    expect(high!).toBeGreaterThan(60 + 2 * 25);
    expect(plan.ingest.reingest).toMatch(/spacing .* and normalisation ct:/);
    expect(plan.train.workers.value).toBe(2);
  });

  it('MR with a small field of view: median spacing, the multiple of 32 that covers the FOV, per-case percentiles, nothing to re-ingest', () => {
    const fp = datasetFingerprint(syntheticDataset(mrSmall).manifest);
    const plan = planTraining(fp);
    expect(plan.ingest.spacing.value).toBeCloseTo(0.9766, 4);
    // 152 px median FOV -> 160.
    expect(plan.train.inputSize.value).toBe(160);
    expect(plan.ingest.normalize.value).toBe('percentile:0.5,99.5');
    expect(plan.ingest.reingest).toBeNull();
    expect(plan.train.encoder.value).toBe(PLAN_RULES.encoder);
    expect(plan.train.decoderFilters.value).toEqual([128, 64, 32, 16, 16]);
    expect(plan.train.validation.value).toEqual({ kind: 'split' });
    // Every reason names where its evidence comes from, and the recipe rules say they await cross-validation.
    for (const name of ['encoder', 'inputSize', 'decoderFilters', 'lr', 'augment', 'epochs'] as const) expect(plan.train[name].reason).toMatch(/cross-validation/);
  });

  it('plans epochs from the dataset size (a fixed number of steps) and fits them into the time budget', () => {
    const small = planTraining(datasetFingerprint(syntheticDataset({ ...mrSmall, shape: [150, 146, 30] }).manifest));
    const large = planTraining(datasetFingerprint(syntheticDataset({ ...mrSmall, patients: 120, val: 20 }).manifest));
    for (const plan of [small, large]) {
      const rounded = Math.min(PLAN_RULES.maxEpochs, Math.max(PLAN_RULES.minEpochs, Math.round(PLAN_RULES.targetSteps / plan.estimate.stepsPerEpoch)));
      // The step rule's epochs, or fewer only when one more would not fit 90 % of the 60-minute budget (the rest a margin for a machine that slows).
      expect(plan.estimate.withinBudget).toBe(true);
      const epochs = plan.train.epochs.value;
      if (epochs < rounded) expect(PLAN_RULES.overheadSeconds + (epochs + 1) * plan.estimate.secondsPerEpoch + plan.estimate.postprocessingSeconds).toBeGreaterThan(PLAN_RULES.plannedBudgetShare * 3600);
      else expect(epochs).toBe(rounded);
      expect(plan.train.patience.value).toBe(plan.train.epochs.value);
    }
    // Larger dataset, more steps per epoch, fewer epochs.
    expect(large.estimate.stepsPerEpoch).toBeGreaterThan(small.estimate.stepsPerEpoch);
    expect(large.train.epochs.value).toBeLessThan(small.train.epochs.value);
    // A tight budget, with a measured step time: fewer epochs, the cheaper encoder and decoder, and the estimate within it.
    const fp = datasetFingerprint(syntheticDataset(mrSmall).manifest);
    const tight = planTraining(fp, { timeBudgetSeconds: 600, secondsPerStep: 1.2 });
    expect(tight.estimate.secondsPerStepSource).toBe('measured');
    expect(tight.train.encoder.value).toBe(PLAN_RULES.cheaperEncoder);
    expect(tight.train.decoderFilters.value).toEqual([64, 32, 16, 16, 8]);
    // The cheaper encoder's step is the measured one scaled by the encoders' cost ratio.
    const net = (encoder: string, decoderFilters: readonly number[]) => ({ encoder, decoderFilters, inputSize: tight.train.inputSize.value, batchSize: 8, workers: tight.train.workers.value });
    const ratio = estimatedSecondsPerStep(net(PLAN_RULES.cheaperEncoder, PLAN_RULES.cheaperDecoderFilters)) / estimatedSecondsPerStep(net(PLAN_RULES.encoder, PLAN_RULES.decoderFilters));
    expect(ratio).toBeLessThan(0.5);
    expect(tight.estimate.secondsPerStep).toBeCloseTo(1.2 * ratio, 3);
    expect(tight.train.epochs.value).toBeLessThan(planTraining(fp, { secondsPerStep: 1.2 }).train.epochs.value);
    expect(tight.estimate.minutes).toBeLessThanOrEqual(10);
    expect(tight.estimate.withinBudget).toBe(true);
    // A budget too small for one epoch says so instead of pretending.
    const impossible = planTraining(fp, { timeBudgetSeconds: 90, secondsPerStep: 5 });
    expect(impossible.train.epochs.value).toBe(1);
    expect(impossible.estimate.withinBudget).toBe(false);
  });

  it('refuses to choose the epoch on fewer than five validation patients: cross-validation folds then', () => {
    const fp = datasetFingerprint(syntheticDataset({ ...mrSmall, val: 3 }).manifest);
    const plan = planTraining(fp);
    expect(plan.train.validation.value).toEqual({ kind: 'folds', folds: 5 });
    expect(plan.estimate.models).toBe(5);
    expect(plan.estimate.minutes).toBeLessThanOrEqual(plan.estimate.budgetMinutes);
    expect(() => planTraining(fp, { timeBudgetSeconds: 0 })).toThrow(/timeBudgetSeconds/);
  });

  it('makes a record that validates, and validation names what is wrong', () => {
    const fp = datasetFingerprint(syntheticDataset(mrSmall).manifest);
    const record = { schemaVersion: 1, generator: 'test', dataset: { manifestSha256: 'x', cases: 36 }, options: { timeBudgetSeconds: 3600, secondsPerStep: null, measured: false, cores: 1, maxInputSize: 256 }, fingerprint: fp, plan: planTraining(fp) };
    const json = JSON.parse(JSON.stringify(record)) as typeof record;
    expect(validatePlans(json, 'plans.json').plan.train.inputSize.value).toBe(160);
    expect(() => validatePlans({ ...json, schemaVersion: 9 }, '/d/plans.json')).toThrow(/\/d\/plans\.json: unsupported plans schema version 9/);
    const broken = JSON.parse(JSON.stringify(record)) as { plan: { train: { lr: { reason: string }; inputSize: { value: number } } } };
    broken.plan.train.lr.reason = '';
    expect(() => validatePlans(broken, 'p')).toThrow(/plan\.train\.lr' must be \{ value, reason \}/);
    const oddSize = JSON.parse(JSON.stringify(record)) as typeof broken;
    oddSize.plan.train.inputSize.value = 100;
    expect(() => validatePlans(oddSize, 'p')).toThrow(/multiple of 32/);
  });
});

describe('the cost model', () => {
  // Measured 2026-12-02 on the 2-core machine (1 worker, wasm, batch 8, 160 px, decoder 128-64-32-16-16).
  const at160: PlannedNetwork = { encoder: 'mobilenet_v1_0.25', decoderFilters: [128, 64, 32, 16, 16], inputSize: 160, batchSize: 8, contextSlices: 0, workers: 1 };

  it("includes the encoder's cost: the estimates of α0.25 and α1.0 match their measured step times", () => {
    expect(estimatedSecondsPerStep(at160)).toBeGreaterThan(1.25 * 0.95);
    expect(estimatedSecondsPerStep(at160)).toBeLessThan(1.25 * 1.05);
    const alpha1 = estimatedSecondsPerStep({ ...at160, encoder: 'mobilenet_v1_1.0' });
    expect(alpha1).toBeGreaterThan(2.0 * 0.95);
    expect(alpha1).toBeLessThan(2.0 * 1.05);
    // The reference encoder adds nothing beyond the reference figures, and the others add their FLOPs' share.
    expect(encoderExtraSecondsPerImage('mobilenet_v1_0.25')).toBe(0);
    const flops = PLAN_RULES.cost.encoderFlops128;
    const extra = (e: string) => encoderExtraSecondsPerImage(e);
    expect(extra('resnet50') / extra('mobilenet_v1_1.0')).toBeCloseTo((flops['resnet50']! - flops['mobilenet_v1_0.25']!) / (flops['mobilenet_v1_1.0']! - flops['mobilenet_v1_0.25']!), 9);
    const order = ['mobilenet_v1_0.25', 'mobilenet_v2_1.0', 'mobilenet_v1_1.0', 'resnet50', 'vgg16'].map((encoder) => estimatedSecondsPerStep({ ...at160, encoder }));
    for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThan(order[i - 1]!);
    // An encoder the table does not know is costed as the dearest one, so its plan still fits.
    expect(estimatedSecondsPerStep({ ...at160, encoder: 'some_future_net' })).toBe(estimatedSecondsPerStep({ ...at160, encoder: 'vgg16' }));
    // Area, batch and workers scale the whole step.
    expect(estimatedSecondsPerStep({ ...at160, inputSize: 320, batchSize: 16, workers: 2 })).toBeCloseTo((estimatedSecondsPerStep(at160) * 4 * 2) / PLAN_RULES.cost.twoWorkerSpeedup, 9);
  });

  it('plans with a measured step time: the measured network gets it, another decoder its cost-model share, and the reasons say so', () => {
    const fp = datasetFingerprint(syntheticDataset(mrSmall).manifest);
    const estimated = planTraining(fp, { cores: 2 });
    expect(estimated.estimate.secondsPerStepSource).toBe('estimated');
    expect(estimated.estimate.measurement).toBeNull();
    expect(estimated.train.epochs.reason).toMatch(/s\/step estimated \(not measured\)/);
    const t = estimated.train;
    const network: PlannedNetwork = { encoder: t.encoder.value, decoderFilters: t.decoderFilters.value, inputSize: t.inputSize.value, batchSize: t.batchSize.value, contextSlices: 0, workers: t.workers.value };
    const measurement: StepMeasurement = { network, secondsPerStep: 0.9, steps: 4, measuredWorkers: 2, wallSeconds: 12, note: 'wasm backend, 2 worker(s)' };
    const measured = planTraining(fp, { cores: 2, measurement });
    expect(measured.estimate.secondsPerStepSource).toBe('measured');
    expect(measured.estimate.secondsPerStep).toBe(0.9);
    expect(measured.estimate.measurement).toEqual(measurement);
    expect(measured.train.epochs.reason).toContain(`0.9 s/step measured on this machine over 4 timed steps of ${network.encoder}, decoder 128-64-32-16-16, 160 px, batch 8, 2 worker(s)`);
    expect(measured.train.epochs.reason).toContain(`training takes ${measured.estimate.minutes} min`);
    // The planned minutes follow from the measured step: epochs x (steps x 0.9 s + validation) + overhead.
    const validation = measured.estimate.secondsPerEpoch - measured.estimate.stepsPerEpoch * 0.9;
    expect(validation).toBeGreaterThan(0);
    expect(validation).toBeCloseTo(estimated.estimate.secondsPerEpoch - estimated.estimate.stepsPerEpoch * estimated.estimate.secondsPerStep, 1);
    // A measurement of the cheaper decoder: the planned (reference) decoder's time is scaled by the cost model.
    const cheaper = { ...network, decoderFilters: PLAN_RULES.cheaperDecoderFilters };
    const scaled = planTraining(fp, { cores: 2, measurement: { ...measurement, network: cheaper } });
    expect(scaled.train.decoderFilters.value).toEqual(PLAN_RULES.decoderFilters);
    expect(scaled.estimate.secondsPerStep).toBeCloseTo((0.9 * estimatedSecondsPerStep(network)) / estimatedSecondsPerStep(cheaper), 3);
    expect(scaled.train.epochs.reason).toMatch(/scaled to decoder 128-64-32-16-16 by the cost model/);
    // --seconds-per-step wins over a measurement.
    const given = planTraining(fp, { cores: 2, measurement, secondsPerStep: 2 });
    expect(given.estimate.secondsPerStep).toBe(2);
    expect(given.estimate.measurement).toBeNull();
    expect(given.train.epochs.reason).toMatch(/given \(--seconds-per-step 2/);
  });

  it('fits the budget with the measured time: a slower measured step buys fewer epochs, and the estimate stays within the budget', () => {
    const fp = datasetFingerprint(syntheticDataset(mrSmall).manifest);
    const t = planTraining(fp).train;
    const network: PlannedNetwork = { encoder: t.encoder.value, decoderFilters: t.decoderFilters.value, inputSize: t.inputSize.value, batchSize: t.batchSize.value, contextSlices: 0, workers: t.workers.value };
    const m = (secondsPerStep: number): StepMeasurement => ({ network, secondsPerStep, steps: 3, measuredWorkers: 1, wallSeconds: 5, note: 'test' });
    const plans = [0.3, 0.6, 1.2, 2.4].map((s) => planTraining(fp, { timeBudgetSeconds: 1800, measurement: m(s) }));
    // On the measured network a slower step buys fewer steps; once the chosen encoder cannot have the minimum
    // epochs, the plan moves to the cheaper one.
    const onMeasured = plans.filter((p) => p.train.encoder.value === network.encoder && p.train.decoderFilters.value.join() === network.decoderFilters.join());
    expect(onMeasured.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < onMeasured.length; i++) {
      const [faster, slower] = [onMeasured[i - 1]!, onMeasured[i]!];
      const steps = (p: typeof faster) => p.train.epochs.value * p.estimate.stepsPerEpoch;
      expect(steps(slower)).toBeLessThanOrEqual(steps(faster));
    }
    expect(onMeasured[0]!.train.epochs.value).toBeGreaterThan(onMeasured.at(-1)!.train.epochs.value);
    for (const plan of plans.filter((p) => !onMeasured.includes(p))) {
      expect(plan.train.encoder.value).toBe(PLAN_RULES.cheaperEncoder);
      expect(plan.train.epochs.value).toBeGreaterThanOrEqual(PLAN_RULES.minEpochs);
    }
    for (const plan of plans) {
      expect(plan.estimate.withinBudget).toBe(true);
      // The planned minutes leave the margin: within 90 % of the budget.
      expect(plan.estimate.minutes * 60).toBeLessThanOrEqual(PLAN_RULES.plannedBudgetShare * 1800 + 6);
      // One more epoch would not fit (or the step rule's epochs are reached).
      const desired = Math.min(PLAN_RULES.maxEpochs, Math.max(PLAN_RULES.minEpochs, Math.round(PLAN_RULES.targetSteps / plan.estimate.stepsPerEpoch)));
      if (plan.train.epochs.value < desired) expect(PLAN_RULES.overheadSeconds + (plan.train.epochs.value + 1) * plan.estimate.secondsPerEpoch + plan.estimate.postprocessingSeconds).toBeGreaterThan(PLAN_RULES.plannedBudgetShare * 1800);
    }
  });
});
