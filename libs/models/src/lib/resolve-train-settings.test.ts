import { type DatasetManifest, datasetFingerprint, type EnsurePlansResult, planTraining, type PlansRecord, summarizeIntensities } from '@medseg/data';
import { describe, expect, it } from 'vitest';
import { resolveTrainSettings, type TrainOptionValues } from './resolve-train-settings.js';

function manifest(options: { valPatients: number; spacing: number; normalization: Record<string, unknown> }): DatasetManifest {
  return {
    settings: { emptySlices: 'keep' },
    classes: ['background', 'tumour'],
    cases: Array.from({ length: 12 }, (_, i) => ({
      id: `P${i}`,
      patientId: `P${i}`,
      modality: 'MR',
      split: i < options.valPatients ? 'val' : 'train',
      shape: [120, 120, 40],
      spacing: [options.spacing, options.spacing, 3],
      sourceGrid: { shape: [120, 120, 40], spacing: [1, 1, 3] },
      normalization: { spec: options.normalization },
      foregroundVoxels: 500,
      foregroundSlices: [1, 2, 3],
      intensity: summarizeIntensities([1, 2, 3, 4], [0, 1, 1, 0]),
    })),
  } as unknown as DatasetManifest;
}

function plans(m: DatasetManifest): EnsurePlansResult {
  const fingerprint = datasetFingerprint(m);
  const record = { fingerprint, plan: planTraining(fingerprint, { cores: 2 }) } as unknown as PlansRecord;
  return { record, path: '/ds/plans.json', sha256: 'ab'.repeat(32), action: 'planned' };
}

// The command's values with commander's defaults filled in, as `medseg train` sees them.
const defaults: TrainOptionValues = {
  encoder: 'mobilenet_v1_0.25',
  encoderWeights: 'imagenet',
  decoderFilters: [256, 128, 64, 32, 16],
  inputSize: 128,
  contextSlices: 0,
  epochs: 30,
  batchSize: 8,
  lr: 1e-3,
  lrEncoder: 1e-5,
  loss: 'dice+bce',
  seed: 0,
  patience: 10,
  augment: 'default',
  bnRecalibration: 512,
};

describe('resolveTrainSettings', () => {
  const percentile = { kind: 'percentile', lower: 0.5, upper: 99.5 };
  const planned = plans(manifest({ valPatients: 6, spacing: 1, normalization: percentile }));
  const p = planned.record.plan.train;

  it('takes a flag over the plan and the plan over the default, and records which', () => {
    const flags = new Set(['epochs', 'seed', 'inputSize']);
    const values = { ...defaults, epochs: 2, seed: 7, inputSize: 64 };
    const { model, settings, workers, provenance } = resolveTrainSettings(values, (name) => flags.has(name), planned);
    // Flags.
    expect(settings.epochs).toBe(2);
    expect(model.inputSize).toBe(64);
    expect(settings.seed).toBe(7);
    expect(provenance.sources['epochs']).toBe('flag');
    expect(provenance.sources['inputSize']).toBe('flag');
    // The plan, where it differs from the defaults (decoder, patience = its epochs, two workers on two cores).
    expect(model.decoderFilters).toEqual(p.decoderFilters.value);
    expect(model.decoderFilters).not.toEqual(defaults.decoderFilters);
    expect(settings.patience).toBe(p.patience.value);
    expect(settings.patience).not.toBe(defaults.patience);
    expect(workers).toBe(2);
    expect(settings.learningRate).toBe(p.lr.value);
    expect(settings.batchNormRecalibration).toBe(p.bnRecalibration.value);
    for (const name of ['decoderFilters', 'patience', 'workers', 'lr', 'augment', 'encoder', 'batchSize']) expect(provenance.sources[name], name).toBe('plan');
    // Not a planned setting: the seed has no entry; the plan is named by path and hash.
    expect(provenance.sources['seed']).toBeUndefined();
    expect(provenance.plan).toEqual({ path: '/ds/plans.json', sha256: planned.sha256, action: 'planned' });
    expect(provenance.notes).toEqual([]);
  });

  it('without a plan keeps the defaults and marks every planned setting a default or a flag', () => {
    const { model, settings, workers, provenance } = resolveTrainSettings({ ...defaults, lr: 0.01 }, (name) => name === 'lr', undefined);
    expect(model.decoderFilters).toEqual(defaults.decoderFilters);
    expect(settings.patience).toBe(10);
    expect(settings.learningRate).toBe(0.01);
    expect(workers).toBeUndefined();
    expect(provenance.plan).toBeNull();
    expect(provenance.sources['lr']).toBe('flag');
    const others = Object.entries(provenance.sources).filter(([name]) => name !== 'lr');
    expect(others.length).toBe(12);
    expect(others.every(([, source]) => source === 'default')).toBe(true);
    expect(provenance.ingestChecks).toEqual([]);
  });

  it('checks the plan’s ingest-time settings against the dataset: matching, and ingested otherwise', () => {
    const matching = resolveTrainSettings(defaults, () => false, planned).provenance.ingestChecks;
    expect(matching.map((c) => [c.setting, c.matches, c.warn])).toEqual([
      ['spacing', true, false],
      ['normalize', true, false],
    ]);
    // Stored at 0.8 mm and z-scored, where the plan wants the native 1 mm and percentiles.
    const other = plans(manifest({ valPatients: 6, spacing: 0.8, normalization: { kind: 'zscore', lower: 0.5, upper: 99.5 } }));
    expect(other.record.plan.ingest.spacing.value).toBe(1);
    const checks = resolveTrainSettings(defaults, () => false, other).provenance.ingestChecks;
    expect(checks.map((c) => [c.setting, c.matches, c.warn])).toEqual([
      ['spacing', false, true],
      ['normalize', false, true],
    ]);
    expect(checks[0]!.message).toContain('--spacing 1');
    expect(checks[1]!.message).toContain('--normalize percentile:0.5,99.5');
  });

  it('notes a plan that validates by folds when the run trains on the split, and not when --fold is given', () => {
    const folds = plans(manifest({ valPatients: 2, spacing: 1, normalization: percentile }));
    expect(folds.record.plan.train.validation.value.kind).toBe('folds');
    expect(resolveTrainSettings(defaults, () => false, folds).provenance.notes[0]).toMatch(/-fold cross-validation.*train with --folds 2 to follow it/);
    expect(resolveTrainSettings({ ...defaults, fold: 0 }, (name) => name === 'fold', folds).provenance.notes).toEqual([]);
  });
});
