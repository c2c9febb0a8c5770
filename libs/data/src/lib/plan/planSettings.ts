import type { TrainingPlan } from './planTraining.js';

/** The `medseg train` settings a plan stands for, keyed as the command's options are (camelCase of the flags). */
export interface PlannedTrainSettings {
  readonly encoder: string;
  readonly encoderWeights: string;
  readonly inputSize: number;
  readonly decoderFilters: readonly number[];
  readonly batchSize: number;
  readonly lr: number;
  readonly loss: string;
  readonly augment: string;
  readonly contextSlices: number;
  readonly epochs: number;
  readonly patience: number;
  readonly bnRecalibration: number;
  readonly workers: number;
}

export function plannedTrainSettings(plan: TrainingPlan): PlannedTrainSettings {
  const t = plan.train;
  return {
    encoder: t.encoder.value,
    encoderWeights: t.encoderWeights.value,
    inputSize: t.inputSize.value,
    decoderFilters: t.decoderFilters.value,
    batchSize: t.batchSize.value,
    lr: t.lr.value,
    loss: t.loss.value,
    augment: t.augment.value,
    contextSlices: t.contextSlices.value,
    epochs: t.epochs.value,
    patience: t.patience.value,
    bnRecalibration: t.bnRecalibration.value,
    workers: t.workers.value,
  };
}

const plannedKeys: Record<keyof PlannedTrainSettings, true> = {
  encoder: true,
  encoderWeights: true,
  inputSize: true,
  decoderFilters: true,
  batchSize: true,
  lr: true,
  loss: true,
  augment: true,
  contextSlices: true,
  epochs: true,
  patience: true,
  bnRecalibration: true,
  workers: true,
};

/** Where each setting of a run came from, for the run record. */
export type SettingSource = 'flag' | 'plan' | 'default';

/**
 * Overlays the plan on a command's options: an option the user gave (`given(name)` true, e.g. commander's
 * `getOptionValueSource(name) === 'cli'`) wins, else the plan's value, else the option's own default. Pure; returns
 * the merged options and the source of every planned setting.
 */
export function applyPlan<T extends Record<string, unknown>>(options: T, planned: PlannedTrainSettings | undefined, given: (name: string) => boolean): { options: T; sources: Record<keyof PlannedTrainSettings, SettingSource> } {
  const merged: Record<string, unknown> = { ...options };
  const sources = {} as Record<keyof PlannedTrainSettings, SettingSource>;
  const names = Object.keys(planned ?? plannedKeys) as (keyof PlannedTrainSettings)[];
  for (const name of names) {
    if (given(name)) sources[name] = 'flag';
    else if (planned !== undefined) {
      merged[name] = Array.isArray(planned[name]) ? [...(planned[name] as readonly number[])] : planned[name];
      sources[name] = 'plan';
    } else sources[name] = 'default';
  }
  return { options: merged as T, sources };
}
