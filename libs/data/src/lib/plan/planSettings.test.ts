import { describe, expect, it } from 'vitest';
import type { DatasetManifest } from '../dataset/datasetTypes.js';
import { datasetFingerprint } from './datasetFingerprint.js';
import { summarizeIntensities } from './intensitySummary.js';
import { applyPlan, plannedTrainSettings } from './planSettings.js';
import { planTraining } from './planTraining.js';

const manifest = {
  settings: { emptySlices: 'keep' },
  classes: ['background', 'tumour'],
  cases: Array.from({ length: 12 }, (_, i) => ({
    id: `P${i}`,
    patientId: `P${i}`,
    modality: 'MR',
    split: i < 6 ? 'val' : 'train',
    shape: [120, 120, 40],
    spacing: [1, 1, 3],
    normalization: { spec: { kind: 'percentile', lower: 0.5, upper: 99.5 } },
    foregroundVoxels: 500,
    foregroundSlices: [1, 2, 3],
    intensity: summarizeIntensities([1, 2, 3, 4], [0, 1, 1, 0]),
  })),
} as unknown as DatasetManifest;

describe('applyPlan', () => {
  const plan = planTraining(datasetFingerprint(manifest));
  const defaults = { encoder: 'mobilenet_v1_0.25', inputSize: 128, decoderFilters: [64, 32, 16, 16, 8], lr: 1e-3, epochs: 30, dataset: 'ds', seed: 0 };

  it('takes every planned setting from the plan unless its flag was given, and says which came from where', () => {
    const given = new Set(['lr', 'seed']);
    const { options, sources } = applyPlan({ ...defaults, lr: 5e-4 }, plannedTrainSettings(plan), (name) => given.has(name));
    expect(options.lr).toBe(5e-4);
    expect(sources.lr).toBe('flag');
    // 120 px at 1 mm -> 128; the plan's decoder and epochs replace the defaults.
    expect(options.inputSize).toBe(plan.train.inputSize.value);
    expect(options.decoderFilters).toEqual([128, 64, 32, 16, 16]);
    expect(options.epochs).toBe(plan.train.epochs.value);
    expect(sources.epochs).toBe('plan');
    // Options the plan does not hold are left alone.
    expect(options.dataset).toBe('ds');
    expect(options.seed).toBe(0);
  });

  it('without a plan keeps the defaults and marks them so', () => {
    const { options, sources } = applyPlan(defaults, undefined, () => false);
    expect(options).toEqual(defaults);
    expect(sources.epochs).toBe('default');
    expect(Object.keys(sources)).toHaveLength(13);
  });
});
