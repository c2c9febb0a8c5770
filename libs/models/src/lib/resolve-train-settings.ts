import { applyPlan, type EnsurePlansResult, plannedTrainSettings, planIngestChecks, type PlanDatasetOptions } from '@medseg/data';
import type { LossName } from './losses.js';
import type { RunSettingsProvenance } from './run-record-schema.js';
import type { TrainSettings } from './train-settings.js';

/** A `medseg train` command's option values, keyed as its options are (camelCase of the flags), defaults filled in. */
export interface TrainOptionValues {
  readonly encoder: string;
  readonly encoderWeights: string;
  readonly decoderFilters: readonly number[];
  readonly inputSize: number;
  readonly contextSlices: number;
  readonly unfreezeFrom?: string | undefined;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly lrEncoder: number;
  readonly loss: string;
  readonly seed: number;
  readonly patience: number;
  readonly augment: string;
  readonly bnRecalibration: number;
  readonly workers?: number | undefined;
  /** `--fold`: the run validates on a fold, whatever the plan's validation. */
  readonly fold?: number | undefined;
}

/** How a new run's settings are to be found: the command's values, which of them were given, and whether to plan. */
export interface TrainPlanRequest {
  readonly values: TrainOptionValues;
  /** Whether the user gave this option (a flag), e.g. commander's `getOptionValueSource(name) === 'cli'`. */
  readonly given: (name: string) => boolean;
  /** false (`--no-plan`): the values as they are, defaults included. */
  readonly usePlan: boolean;
  /**
   * Options of a plan made because the dataset has none, or none current (or, with `timeBudgetSeconds`, none
   * made for that budget); `measureStep` times the planned network's steps (trainingStepMeasurer).
   */
  readonly planOptions?: PlanDatasetOptions;
  /** The plan already made or read for this request (trainingLayout's), used as it is instead of planning again. */
  readonly plans?: EnsurePlansResult | undefined;
}

export interface ResolvedTrainSettings {
  readonly model: { readonly encoder: string; readonly encoderWeights: string; readonly decoderFilters: readonly number[]; readonly inputSize: number; readonly contextSlices: number; readonly unfreezeFrom?: string | undefined };
  readonly settings: Omit<TrainSettings, 'dataset' | 'workers' | 'schedule'>;
  readonly workers: number | undefined;
  readonly provenance: RunSettingsProvenance;
}

/**
 * The settings of a new run (pure): each planned setting from its flag when `given(name)` (the user typed it),
 * else from the plan when there is one, else the option's default; the provenance says which, names the plan,
 * and carries the plan's ingest-time settings checked against the dataset and what else the run does not follow.
 */
export function resolveTrainSettings(values: TrainOptionValues, given: (name: string) => boolean, plans: EnsurePlansResult | undefined): ResolvedTrainSettings {
  const { options: o, sources } = applyPlan({ ...values }, plans === undefined ? undefined : plannedTrainSettings(plans.record.plan), given);
  const notes: string[] = [];
  const validation = plans?.record.plan.train.validation.value;
  if (validation?.kind === 'folds' && values.fold === undefined) {
    notes.push(
      `the plan validates by ${validation.folds}-fold cross-validation (${plans!.record.plan.train.validation.reason}); this run trains one model on the dataset's train/val split: train with --folds ${validation.folds} to follow it`,
    );
  }
  return {
    model: { encoder: o.encoder, encoderWeights: o.encoderWeights, decoderFilters: [...o.decoderFilters], inputSize: o.inputSize, contextSlices: o.contextSlices, unfreezeFrom: o.unfreezeFrom },
    settings: {
      epochs: o.epochs,
      batchSize: o.batchSize,
      learningRate: o.lr,
      encoderLearningRate: o.lrEncoder,
      loss: o.loss as LossName,
      seed: o.seed,
      patience: o.patience,
      augment: o.augment,
      batchNormRecalibration: o.bnRecalibration,
    },
    workers: o.workers,
    provenance: {
      plan: plans === undefined ? null : { path: plans.path, sha256: plans.sha256, action: plans.action },
      sources,
      ingestChecks: plans === undefined ? [] : planIngestChecks(plans.record),
      notes,
    },
  };
}
