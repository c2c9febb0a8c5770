import type { CandidateScore, Postprocessing } from './choose-postprocessing.js';
import type { CrossValidationFold, NormalizationSpec, PlanIngestCheck, SettingSource } from '@medseg/data';
import type { TrainSettings } from './train-settings.js';
import type { UnetConfig } from './unet.js';

export const RUN_RECORD_FILE = 'run.json';
/** 2: the `postprocessing` section (runs of schema 1 have none: predict's old defaults, threshold 0.5 and no cleanup). */
export const RUN_RECORD_SCHEMA_VERSION = 2;

/** A class as training saw it: its key (the `--roi` pattern of ingest), a display label, and the ROI names matched. */
export interface RunClass {
  readonly value: number;
  readonly key: string;
  readonly label: string;
  readonly roiNames: readonly string[];
}

/** Which data a run learnt from: enough to check that predict is given data prepared the same way. */
export interface RunDataset {
  readonly path: string;
  /** sha256 of the dataset's manifest.json; null in runs migrated from before run.json. */
  readonly manifestSha256: string | null;
  readonly caseIds: { readonly train: readonly string[]; readonly val: readonly string[]; readonly test: readonly string[] } | null;
  readonly normalization: NormalizationSpec | null;
  /** The modality of the training series (the one most cases have); null when unknown. */
  readonly modality: string | null;
  readonly inputChannels: number;
  readonly classes: readonly RunClass[];
}

/**
 * Where a run's settings came from: the dataset's plan (plans.json, by path and sha256 of its bytes), a flag, or
 * the built-in default, per setting; and the plan's ingest-time settings checked against the dataset.
 */
export interface RunSettingsProvenance {
  /** The plan used, or null with `--no-plan`. */
  readonly plan: { readonly path: string; readonly sha256: string; readonly action: 'existing' | 'planned' | 'replanned' } | null;
  readonly sources: Readonly<Record<string, SettingSource>>;
  /** The plan's ingest-time settings (spacing, normalisation) against the dataset; empty without a plan. */
  readonly ingestChecks: readonly PlanIngestCheck[];
  /** Anything else the plan asked for that this run does not do (e.g. fold cross-validation). */
  readonly notes: readonly string[];
}

/**
 * The post-processing chosen at the end of training on the validation patients (see choosePostprocessing): the
 * chosen checkpoint predicted each validation case on the dataset's grid (with flip TTA for a model trained with
 * flips on both axes, `tta`), and every candidate was scored with the per-patient 3D Dice. Means are null where no
 * patient had a finite Dice.
 */
export interface RunPostprocessing {
  readonly chosen: Postprocessing;
  readonly default: Postprocessing;
  readonly reason: string;
  /** The checkpoint that predicted the validation cases. */
  readonly checkpoint: 'best' | 'last';
  readonly grid: 'dataset';
  readonly tta: boolean;
  readonly patients: number;
  readonly cases: number;
  /** Every candidate with its mean per-patient Dice. */
  readonly table: readonly (Omit<CandidateScore, 'meanDice'> & { readonly meanDice: number | null })[];
  /** Each validation case's Dice under every candidate, in the table's order (what a folds run pools). */
  readonly perCase: readonly { readonly caseId: string; readonly patientId: string; readonly dice: readonly (number | null)[] }[];
  readonly createdAt: string;
}

/** The run record (`run.json` in a run folder, and inside each checkpoint's config.json). */
export interface RunRecord {
  readonly format: 'medseg-run';
  readonly schemaVersion: number;
  readonly medsegVersion: string | null;
  readonly commit: string | null;
  readonly commandLine: readonly string[] | null;
  readonly createdAt: string | null;
  readonly runtime: { readonly node: string | null; readonly tfjs: string | null; readonly backend: string | null };
  readonly model: UnetConfig;
  readonly training: TrainSettings;
  readonly seed: number;
  readonly workers: number;
  readonly fold: CrossValidationFold | null;
  readonly dataset: RunDataset;
  /** Where the settings came from (plan, flag, default); absent in runs from before plan-driven training. */
  readonly settings?: RunSettingsProvenance;
  /**
   * Chosen on validation once training finished (run.json only: the checkpoints keep the record as it was when
   * they were written); absent in runs from before it (schema 1) and in unfinished runs.
   */
  readonly postprocessing?: RunPostprocessing;
  /** Set when the record was rebuilt from a checkpoint written before run.json existed. */
  readonly migratedFrom?: string;
}

