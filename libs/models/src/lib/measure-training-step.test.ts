import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fingerprintDataset, ingestDataset, PLAN_RULES, type PlannedNetwork, planTraining, writePhantomStudy } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend/selectBackend.js';
import { measureTrainingStep } from './measure-training-step.js';

let dataset: string;

beforeAll(async () => {
  await selectBackend('wasm');
  const root = await mkdtemp(join(tmpdir(), 'medseg-measure-'));
  await writePhantomStudy(join(root, 'dicom'), { seed: 3, patients: 4, columns: 64, rows: 64, slices: 6 });
  dataset = join(root, 'ds');
  await ingestDataset({ images: join(root, 'dicom'), out: dataset, roi: ['GTV*'], seed: 0, val: 0, test: 0, valPatients: 'PHANTOM_004', normalize: 'auto', emptySlices: 'keep', segThreshold: 0.5 });
}, 60_000);

const network: PlannedNetwork = { encoder: 'mobilenet_v1_0.25', decoderFilters: [16, 8, 8, 8, 8], inputSize: 64, batchSize: 4, contextSlices: 0, workers: 1 };

describe('measureTrainingStep', () => {
  it('times real training steps of the network on the dataset: positive and finite, and every tensor freed', async () => {
    const before = tf.memory().numTensors;
    const m = await measureTrainingStep(dataset, network, { steps: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(m.secondsPerStep).toBeGreaterThan(0);
    expect(Number.isFinite(m.secondsPerStep)).toBe(true);
    expect(m.steps).toBe(2);
    expect(m.measuredWorkers).toBe(1);
    expect(m.network).toEqual(network);
    // The whole measurement (network, slices, warm-up and timed steps) takes longer than its timed steps.
    expect(m.wallSeconds).toBeGreaterThan(m.steps * m.secondsPerStep);
    expect(m.note).toMatch(/wasm backend, 1 thread/);
  }, 60_000);

  it('runs the planned workers as replicas, or one thread scaled by the documented speed-up, freeing everything either way', async () => {
    const before = tf.memory().numTensors;
    const two = await measureTrainingStep(dataset, { ...network, workers: 2 }, { steps: 2 });
    expect(two.measuredWorkers).toBe(2);
    expect(two.secondsPerStep).toBeGreaterThan(0);
    const scaled = await measureTrainingStep(dataset, { ...network, workers: 2 }, { steps: 2, replicas: false });
    expect(scaled.measuredWorkers).toBe(1);
    expect(scaled.note).toMatch(/divided by the documented 1\.7x two-worker speed-up/);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('feeds the planner: its step time is the measured one, and a faster measured step buys more epochs in a tight budget', async () => {
    const fp = await fingerprintDataset(dataset);
    const m = await measureTrainingStep(dataset, network, { steps: 2 });
    // The planner's own network for this dataset (estimated), measured and planned again.
    const estimated = planTraining(fp, { cores: 1, timeBudgetSeconds: 3600 });
    const t = estimated.train;
    const planned: PlannedNetwork = { encoder: t.encoder.value, decoderFilters: t.decoderFilters.value, inputSize: t.inputSize.value, batchSize: t.batchSize.value, contextSlices: 0, workers: t.workers.value };
    const measured = await measureTrainingStep(dataset, planned, { steps: 2 });
    const plan = planTraining(fp, { cores: 1, timeBudgetSeconds: 3600, measurement: measured });
    expect(plan.estimate.secondsPerStepSource).toBe('measured');
    expect(plan.estimate.secondsPerStep).toBeCloseTo(measured.secondsPerStep, 3);
    expect(plan.estimate.measurement).toEqual(measured);
    expect(plan.train.epochs.reason).toMatch(/measured on this machine over 2 timed steps/);
    // A budget of 8 epochs at a slow step time: the same step four times faster affords more. (Steps 20x the
    // measured one, so that they and not this small dataset's estimated validation time dominate an epoch.)
    const slowStep = { ...m, secondsPerStep: m.secondsPerStep * 20 };
    const unconstrained = planTraining(fp, { cores: 1, measurement: slowStep });
    expect(unconstrained.train.epochs.value).toBeGreaterThan(8);
    // The planner fits the epochs into its share of the budget after the fixed overhead and the post-processing step.
    const budget = (PLAN_RULES.overheadSeconds + unconstrained.estimate.postprocessingSeconds + 8.5 * unconstrained.estimate.secondsPerEpoch) / PLAN_RULES.plannedBudgetShare;
    const slow = planTraining(fp, { cores: 1, timeBudgetSeconds: budget, measurement: slowStep });
    const fast = planTraining(fp, { cores: 1, timeBudgetSeconds: budget, measurement: { ...m, secondsPerStep: m.secondsPerStep * 5 } });
    expect(slow.train.epochs.value).toBe(8);
    // Unless the faster step affords the costlier cross-validated network instead (the planner's encoder and
    // decoder rules), which a loaded machine's slow measurement cannot.
    const networkOf = (p: typeof slow) => `${p.train.encoder.value} ${p.train.decoderFilters.value.join('-')}`;
    if (networkOf(fast) === networkOf(slow)) {
      expect(fast.estimate.secondsPerStep).toBeCloseTo(slow.estimate.secondsPerStep / 4, 3);
      expect(fast.train.epochs.value).toBeGreaterThan(slow.train.epochs.value);
    } else expect(fast.estimate.secondsPerStep / (m.secondsPerStep * 5)).toBeGreaterThan(slow.estimate.secondsPerStep / slowStep.secondsPerStep);
    expect(fast.estimate.withinBudget && slow.estimate.withinBudget).toBe(true);
  }, 60_000);
});
