import type { AugmentPreset } from '../augment/augmentConfig.js';
import type { DatasetFingerprint } from './datasetFingerprint.js';
import { sameNormalization } from './sameNormalization.js';

/** One planned setting: its value and why (the rule, and where the rule's evidence comes from). */
export interface Choice<T> {
  readonly value: T;
  readonly reason: string;
}

export type ValidationChoice = { readonly kind: 'split' } | { readonly kind: 'folds'; readonly folds: number };

/** What the planner decides. Names follow the CLI flags they stand for (`inputSize` = `train --input-size`). */
export interface TrainingPlan {
  /** Settings of `medseg ingest` (applied by re-ingesting when the dataset differs from them). */
  readonly ingest: {
    readonly spacing: Choice<number>;
    /** In `--normalize` syntax. */
    readonly normalize: Choice<string>;
    /** Why the dataset must be ingested again to follow the plan, or null when it already does. */
    readonly reingest: string | null;
  };
  readonly train: {
    readonly encoder: Choice<string>;
    readonly encoderWeights: Choice<string>;
    readonly inputSize: Choice<number>;
    readonly decoderFilters: Choice<readonly number[]>;
    readonly batchSize: Choice<number>;
    readonly lr: Choice<number>;
    readonly schedule: Choice<'cosine'>;
    readonly loss: Choice<string>;
    readonly augment: Choice<AugmentPreset>;
    readonly contextSlices: Choice<number>;
    readonly epochs: Choice<number>;
    readonly patience: Choice<number>;
    readonly bnRecalibration: Choice<number>;
    readonly workers: Choice<number>;
    readonly validation: Choice<ValidationChoice>;
  };
  readonly predict: {
    readonly threshold: Choice<number>;
    readonly largestComponent: Choice<boolean>;
    readonly tta: Choice<boolean>;
  };
  /** How long training is expected to take, and whether it fits the budget. */
  readonly estimate: {
    /** Seconds per optimiser step of the planned network with the planned workers. */
    readonly secondsPerStep: number;
    /** `measured`: timed on this machine (`measurement`) or given (`--seconds-per-step`); `estimated`: from `PLAN_RULES.cost`. */
    readonly secondsPerStepSource: 'measured' | 'estimated';
    /** The timed steps the step time comes from (null when estimated or given by hand). */
    readonly measurement: StepMeasurement | null;
    readonly trainingSlices: number;
    readonly stepsPerEpoch: number;
    readonly secondsPerEpoch: number;
    /**
     * Seconds per model of choosing the post-processing after the last epoch: every validation slice predicted
     * with flip TTA (4 forward passes) on one thread.
     */
    readonly postprocessingSeconds: number;
    readonly models: number;
    readonly minutes: number;
    readonly budgetMinutes: number;
    readonly withinBudget: boolean;
  };
}

/** The network and step a plan trains: what a step-time measurement must build and time. */
export interface PlannedNetwork {
  readonly encoder: string;
  readonly decoderFilters: readonly number[];
  readonly inputSize: number;
  readonly batchSize: number;
  readonly contextSlices: number;
  /** Threads sharing each batch. */
  readonly workers: number;
}

/** Seconds per training step of `network`, timed on this machine (libs/models `measureTrainingStep`). */
export interface StepMeasurement {
  readonly network: PlannedNetwork;
  /** Seconds per optimiser step with `network.workers` workers. */
  readonly secondsPerStep: number;
  /** Timed steps (after the warm-up ones). */
  readonly steps: number;
  /** Threads that ran the timed steps; when fewer than `network.workers`, `secondsPerStep` is scaled by the documented speed-up. */
  readonly measuredWorkers: number;
  /** Wall seconds the measurement took, building the network and loading slices included. */
  readonly wallSeconds: number;
  /** How it was measured, for the plan's reasons (the backend, scaling). */
  readonly note: string;
}

export interface PlanOptions {
  /** Wall-clock budget for all of training (every fold model together). Default 60 minutes. */
  readonly timeBudgetSeconds?: number;
  /**
   * Seconds per training step of the planned network (the first choice of encoder, decoder, input size and batch
   * size, with `workers`), measured by the caller on this machine. Absent: estimated from `PLAN_RULES.cost`.
   */
  readonly secondsPerStep?: number;
  /**
   * Seconds per step of some network timed on this machine (`secondsPerStep` wins when both are given). The
   * planner scales it to each candidate network by the ratio of their estimated costs, so a measurement of the
   * network the plan ends up choosing gives that network's measured time.
   */
  readonly measurement?: StepMeasurement;
  /** CPU cores available for training; the plan uses up to two workers. Default 1. */
  readonly cores?: number;
  /** Largest input size the planner will choose. Default 256. */
  readonly maxInputSize?: number;
}

/**
 * The rules' constants, with their evidence (README "Results", issue 15, docs/contracts.md "plans.json"). They are
 * the current defaults and are to be confirmed or replaced by the cross-validated recipe search
 * (`experiments/recipe-cv.mjs`).
 */
export const PLAN_RULES = {
  /** Cross-validated on STS_001-028 (docs/results.md, "Choosing the recipe by cross-validation"). */
  encoder: 'mobilenet_v1_1.0',
  /** When the budget cannot afford the chosen encoder for `minEpochs`. */
  cheaperEncoder: 'mobilenet_v1_0.25',
  decoderFilters: [128, 64, 32, 16, 16],
  cheaperDecoderFilters: [64, 32, 16, 16, 8],
  batchSize: 8,
  lr: 1e-3,
  targetSteps: 3200,
  minEpochs: 5,
  maxEpochs: 50,
  minValidationPatients: 5,
  folds: 5,
  bnRecalibration: 512,
  minInputSize: 64,
  /** Seconds of fixed cost per model: encoder weights, slices into memory, the final checkpoint. */
  overheadSeconds: 60,
  /**
   * The share of the budget the epochs are planned into; the rest absorbs a machine that slows during the run.
   * The default STS run on idle 2-core machines took 52.6, 62.3 and 61.6 min against 56.5, 57.1 and 55.7 planned
   * (the second counting the post-processing step it then left out): epochs ran on average up to 14 % slower than the
   * three steps measured at the start (docs/results.md).
   */
  plannedBudgetShare: 0.9,
  /** Forward passes per validation slice when the run chooses its post-processing: flip TTA's four (the plan's augmentation flips both axes). */
  postprocessingPasses: 4,
  cost: {
    /** One wasm thread, batch 8, 128 x 128, α0.25, decoder 64-32-16-16-8: 16.8 img/s (README "Backends and speed", 2026-12-01). */
    secondsPerStepReference: 8 / 16.8,
    /** Inference, same network and machine: 107 img/s. */
    secondsPerInferredSlice: 1 / 107,
    /** CPU time per step relative to 64-32-16-16-8 (README: 1983, 1051, 640 and 499 ms). */
    decoderFactor: { '256-128-64-32-16': 1983 / 640, '128-64-32-16-16': 1051 / 640, '64-32-16-16-8': 1, '32-16-16-8-8': 499 / 640 } as Record<string, number>,
    /** Two workers train 1.70x as fast as one (README). */
    twoWorkerSpeedup: 1.7,
    /**
     * FLOPs of one 128 x 128 forward pass of each frozen encoder as the U-Net uses it (`medseg encoders --json`,
     * flops128; libs/models encoder-cost.ts; checked against the built networks by a libs/models test).
     */
    encoderFlops128: {
      'mobilenet_v1_0.25': 26_628_096,
      'mobilenet_v1_1.0': 370_753_536,
      'mobilenet_v2_1.0': 195_588_096,
      resnet50: 2_518_155_264,
      vgg16: 10_022_289_408,
    } as Record<string, number>,
    /**
     * Seconds of frozen-encoder forward pass per GFLOP, one wasm thread (5.7 GFLOP/s). Measured 2026-12-02 on the
     * 2-core machine, 1 worker, batch 8, 160 px, decoder 128-64-32-16-16: α0.25 1.25 s/step, α1.0 2.0 s/step; the
     * 0.75 s difference over the 8 x 1.5625 x (370.8 - 26.6) MFLOP between them. Dense convolutions (ResNet, VGG)
     * run faster per FLOP than depthwise ones on XNNPACK, so this over-estimates them: a plan then fits its budget.
     */
    encoderSecondsPerGflop: 0.75 / (8 * 1.5625 * ((370_753_536 - 26_628_096) / 1e9)),
    /** The encoder of the reference figures above (its cost is inside them). */
    referenceEncoder: 'mobilenet_v1_0.25',
  },
} as const;

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const key = (filters: readonly number[]) => filters.join('-');
const confirm = 'to be confirmed by cross-validation (experiments/recipe-cv.mjs)';
const withinBudgetText = (minutes: number, budget: number) => (minutes <= budget ? '' : `, MORE than the budget of ${budget} min (one epoch does not fit)`);

/** FLOPs of an encoder at 128 px; an encoder missing from the table is costed as the dearest one there (a plan then fits). */
function encoderFlops(encoder: string): number {
  const table = PLAN_RULES.cost.encoderFlops128;
  return table[encoder] ?? Math.max(...Object.values(table));
}

/**
 * Seconds per 128 x 128 image of the encoder's forward pass beyond the reference encoder's (whose cost is inside the
 * reference figures), one thread: the encoder factor of the cost model.
 */
export function encoderExtraSecondsPerImage(encoder: string): number {
  const { cost } = PLAN_RULES;
  return ((encoderFlops(encoder) - encoderFlops(cost.referenceEncoder)) / 1e9) * cost.encoderSecondsPerGflop;
}

/**
 * Estimated seconds per optimiser step (pure): the reference step scaled by the decoder width, plus the encoder's
 * extra forward cost, both per image, by the input area and batch size, divided by the two-worker speed-up.
 */
export function estimatedSecondsPerStep(network: Omit<PlannedNetwork, 'contextSlices'>): number {
  const { cost } = PLAN_RULES;
  const decoder = cost.decoderFactor[key(network.decoderFilters)] ?? 1;
  const perImage128 = (cost.secondsPerStepReference * decoder) / 8 + encoderExtraSecondsPerImage(network.encoder);
  return (perImage128 * (network.inputSize / 128) ** 2 * network.batchSize) / (network.workers >= 2 ? cost.twoWorkerSpeedup : 1);
}

const networkName = (n: PlannedNetwork) => `${n.encoder}, decoder ${key(n.decoderFilters)}, ${n.inputSize} px, batch ${n.batchSize}`;

/** Smallest multiple of 32 at or above `x`, within [min, max]. */
function multipleOf32(x: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(x / 32 - 1e-9) * 32));
}

/**
 * Plans a training from a dataset fingerprint (pure): each choice with its reason. The rules are documented in
 * docs/contracts.md ("plans.json") and their constants are `PLAN_RULES`.
 */
export function planTraining(fingerprint: DatasetFingerprint, options: PlanOptions = {}): TrainingPlan {
  const budgetSeconds = options.timeBudgetSeconds ?? 3600;
  if (!(budgetSeconds > 0)) throw new RangeError(`planTraining: timeBudgetSeconds must be > 0, got ${budgetSeconds}`);
  if (options.secondsPerStep !== undefined && !(options.secondsPerStep > 0)) throw new RangeError(`planTraining: secondsPerStep must be > 0, got ${options.secondsPerStep}`);
  const maxInputSize = options.maxInputSize ?? 256;
  if (!(maxInputSize >= PLAN_RULES.minInputSize && maxInputSize % 32 === 0)) throw new RangeError(`planTraining: maxInputSize must be a multiple of 32 >= ${PLAN_RULES.minInputSize}, got ${maxInputSize}`);
  const cores = Math.max(1, Math.floor(options.cores ?? 1));
  const fp = fingerprint;

  // Spacing and input size: nnU-Net's 2D rule (median in-plane spacing), then the smallest multiple of 32 that
  // covers the median field of view at that spacing; a cap coarsens the spacing instead of cropping.
  const medianSpacing = Math.min(fp.spacing.x.median, fp.spacing.y.median);
  const fov = Math.max(fp.fieldOfView.x.median, fp.fieldOfView.y.median);
  const wanted = multipleOf32(fov / medianSpacing, PLAN_RULES.minInputSize, Number.POSITIVE_INFINITY);
  const inputSize = Math.min(wanted, maxInputSize);
  const spacing = inputSize < wanted ? round(fov / inputSize, 4) : round(medianSpacing, 4);
  const spacingReason =
    inputSize < wanted
      ? `the median field of view (${round(fov, 1)} mm) needs ${wanted} px at the median in-plane spacing ${round(medianSpacing, 4)} mm, above the ${maxInputSize} px cap, so the spacing coarsens to ${spacing} mm to fit ${inputSize} px (nnU-Net coarsens rather than crops a 2D plan)`
      : `the median in-plane spacing of the ${fp.cases} cases (nnU-Net's 2D rule; spread ${round(fp.spacing.x.min, 3)}-${round(fp.spacing.x.max, 3)} mm)`;
  const sizeReason = `the smallest multiple of 32 covering the median field of view, ${round(fov, 1)} mm = ${round(fov / medianSpacing, 1)} px at ${round(medianSpacing, 4)} mm${inputSize < wanted ? `, capped at ${maxInputSize}` : ''}; slices are resized whole to it in training, so no tumour is cropped. in 2-fold cross-validation over STS_001-028, 128 px tied with 160 px (docs/results.md: out-of-fold Dice 0.703 against 0.707, better on 15 of 28 patients) and so did 192 px (0.710 against 0.707, better on 13 of 28, at about 1.3 times the epoch time), so the rule stays`;

  // Normalisation per modality.
  const fg = fp.intensity.foreground;
  const p = (q: number) => fg.percentiles.find(([level]) => level === q)?.[1];
  let normalize: Choice<string>;
  if (fp.modality === 'CT' && fp.intensity.source === 'raw' && fg.mean !== null && fg.std !== null && p(0.5) !== undefined && p(99.5) !== undefined && p(99.5)! > p(0.5)!) {
    normalize = {
      value: `ct:${round(p(0.5)!, 2)},${round(p(99.5)!, 2)},${round(fg.mean, 2)},${round(fg.std, 2)}`,
      reason: `CT: clip to the foreground's 0.5 and 99.5 percentiles over all cases (${round(p(0.5)!, 1)}, ${round(p(99.5)!, 1)} HU), then subtract the foreground mean and divide by its std, as nnU-Net's CTNormalization does (the mean and std here are of the unclipped foreground); ${confirm}`,
    };
  } else if (fp.modality === 'CT') {
    normalize = {
      value: 'auto',
      reason: 'CT, but the dataset holds no raw HU statistics (ingested before medseg recorded them): keep the abdomen window until it is ingested again with this medseg, which records them',
    };
  } else {
    normalize = {
      value: 'percentile:0.5,99.5',
      reason: `${fp.modality}: intensities have no physical unit, so each case is scaled by its own 0.5/99.5 percentiles to [0, 1] (MONAI ScaleIntensityRangePercentiles); every STS result in the README used it; per-case z-score (nnU-Net's MR default) tied with it in 2-fold cross-validation over STS_001-028 (docs/results.md: out-of-fold Dice 0.702 against 0.703, better on 13 of 28 patients), so the percentiles stay`,
    };
  }
  const storedSpacing = fp.stored.spacingX;
  const spacingDiffers = Math.abs(storedSpacing.median - spacing) > 0.01 * spacing || storedSpacing.max - storedSpacing.min > 0.01 * spacing;
  const storedNormalization = fp.stored.normalization;
  const normalizationDiffers = normalize.value !== 'auto' && !(storedNormalization.length === 1 && sameNormalization(storedNormalization[0]!, normalize.value));
  const reingestReasons = [
    ...(spacingDiffers && inputSize < wanted ? [`in-plane spacing ${spacing} mm (stored: ${round(storedSpacing.min, 4)}-${round(storedSpacing.max, 4)} mm)`] : []),
    ...(normalizationDiffers ? [`normalisation ${normalize.value} (stored: ${storedNormalization.join(', ')})`] : []),
  ];

  // Validation: an epoch chosen on too few patients is noise (README: per-patient validation Dice swings
  // 0.64-0.81 between epochs on 4 patients; issue 15: 3 validation patients chose epoch 1).
  const developmentPatients = fp.patientsBySplit.train + fp.patientsBySplit.val;
  let validation: Choice<ValidationChoice>;
  if (fp.patientsBySplit.val >= PLAN_RULES.minValidationPatients) {
    validation = { value: { kind: 'split' }, reason: `the dataset's validation split holds ${fp.patientsBySplit.val} patients (at least ${PLAN_RULES.minValidationPatients} to choose an epoch; README and issue 15: 3-4 validation patients chose noisy epochs)` };
  } else if (developmentPatients >= 2 * PLAN_RULES.minValidationPatients) {
    const folds = Math.min(PLAN_RULES.folds, Math.floor(developmentPatients / PLAN_RULES.minValidationPatients));
    validation = { value: { kind: 'folds', folds }, reason: `only ${fp.patientsBySplit.val} validation patients (fewer than ${PLAN_RULES.minValidationPatients}): ${folds}-fold cross-validation over the ${developmentPatients} development patients, each fold choosing its own epoch, the final model the ensemble of the folds` };
  } else {
    validation = { value: { kind: 'split' }, reason: `only ${developmentPatients} development patients: too few for folds of ${PLAN_RULES.minValidationPatients}, so the epoch is chosen on the ${fp.patientsBySplit.val} validation patients there are, a weak guide` };
  }
  const models = validation.value.kind === 'folds' ? validation.value.folds : 1;
  const foldTrainShare = validation.value.kind === 'folds' ? (validation.value.folds - 1) / validation.value.folds : 1;
  const useEmpty = fp.emptySlices === 'keep';
  const developmentSlices = useEmpty ? fp.slicesBySplit.train + fp.slicesBySplit.val : fp.foregroundSlicesBySplit.train + fp.foregroundSlicesBySplit.val;
  const trainingSlices = Math.max(1, Math.round(validation.value.kind === 'folds' ? developmentSlices * foldTrainShare : useEmpty ? fp.slicesBySplit.train : fp.foregroundSlicesBySplit.train));
  const validationSlices = Math.max(0, validation.value.kind === 'folds' ? fp.slicesBySplit.train + fp.slicesBySplit.val - trainingSlices : fp.slicesBySplit.val);

  // Workers, batch, steps, epochs and decoder width under the time budget.
  const workers = Math.min(2, cores);
  const batchSize = PLAN_RULES.batchSize;
  const stepsPerEpoch = Math.ceil(trainingSlices / batchSize);
  const contextSlices = 0;
  const networkOf = (encoder: string, filters: readonly number[]): PlannedNetwork => ({ encoder, decoderFilters: filters, inputSize, batchSize, contextSlices, workers });
  // The step time of one network, measured or given, scaled to the others by their estimated costs.
  const given = options.secondsPerStep;
  const measurement = given === undefined ? options.measurement : undefined;
  if (measurement !== undefined && !(measurement.secondsPerStep > 0 && Number.isFinite(measurement.secondsPerStep))) throw new RangeError(`planTraining: measurement.secondsPerStep must be > 0, got ${measurement.secondsPerStep}`);
  const basis = given !== undefined ? { seconds: given, network: networkOf(PLAN_RULES.encoder, PLAN_RULES.decoderFilters) } : measurement === undefined ? undefined : { seconds: measurement.secondsPerStep, network: measurement.network };
  const secondsPerStepOf = (encoder: string, filters: readonly number[]) =>
    basis === undefined ? estimatedSecondsPerStep(networkOf(encoder, filters)) : (basis.seconds * estimatedSecondsPerStep(networkOf(encoder, filters))) / estimatedSecondsPerStep(basis.network);
  // Seconds per inferred slice on one thread.
  const inferSecondsOf = (encoder: string, filters: readonly number[]) =>
    (PLAN_RULES.cost.secondsPerInferredSlice * (PLAN_RULES.cost.decoderFactor[key(filters)] ?? 1) + encoderExtraSecondsPerImage(encoder)) * (inputSize / 128) ** 2;
  const epochSecondsOf = (encoder: string, filters: readonly number[]) => {
    const validationSeconds = ((validationSlices + PLAN_RULES.bnRecalibration) * inferSecondsOf(encoder, filters)) / (workers >= 2 ? PLAN_RULES.cost.twoWorkerSpeedup : 1);
    return stepsPerEpoch * secondsPerStepOf(encoder, filters) + validationSeconds;
  };
  // The post-processing choice runs on the main thread after the last epoch, on flip TTA's four passes (the
  // plan's augmentation flips both axes); plain and TTA took 4 minutes of the default STS run (docs/results.md).
  const postprocessingSecondsOf = (encoder: string, filters: readonly number[]) => validationSlices * PLAN_RULES.postprocessingPasses * inferSecondsOf(encoder, filters);
  const desiredEpochs = Math.min(PLAN_RULES.maxEpochs, Math.max(PLAN_RULES.minEpochs, Math.round(PLAN_RULES.targetSteps / stepsPerEpoch)));
  const affordable = (encoder: string, filters: readonly number[]) =>
    Math.floor((PLAN_RULES.plannedBudgetShare * (budgetSeconds / models) - PLAN_RULES.overheadSeconds - postprocessingSecondsOf(encoder, filters)) / epochSecondsOf(encoder, filters));
  // The cross-validated encoder, unless the budget cannot give it the minimum epochs; then the cheaper one.
  let encoder: string = PLAN_RULES.encoder;
  const costRatio = round(estimatedSecondsPerStep(networkOf(PLAN_RULES.encoder, PLAN_RULES.decoderFilters)) / estimatedSecondsPerStep(networkOf(PLAN_RULES.cheaperEncoder, PLAN_RULES.decoderFilters)), 2);
  let encoderReason = `frozen ImageNet MobileNet v1 α1.0 (to conv_pw_12): chosen by 2-fold cross-validation over STS_001-028 against α0.25 (docs/results.md: out-of-fold Dice 0.703 against 0.613, α0.25 better on only 6 of 28 patients); it costs ${costRatio}x α0.25's CPU time per step`;
  if (affordable(encoder, PLAN_RULES.decoderFilters) < PLAN_RULES.minEpochs && affordable(PLAN_RULES.cheaperEncoder, PLAN_RULES.decoderFilters) > affordable(encoder, PLAN_RULES.decoderFilters)) {
    encoder = PLAN_RULES.cheaperEncoder;
    encoderReason = `frozen ImageNet MobileNet v1 α0.25: the cross-validated α1.0 affords fewer than ${PLAN_RULES.minEpochs} epochs in the budget, and α0.25 costs 1/${costRatio} of its CPU time per step (the PyTorch reference reached 0.766-0.779 on unseen STS patients with it)`;
  }
  let filters: readonly number[] = PLAN_RULES.decoderFilters;
  let decoderReason = `the PyTorch reference's decoder (issue 15: α0.25 ImageNet encoder, decoder 128-64-32-16-16, 15 epochs, held-out Dice 0.766-0.779 on unseen STS patients, three seeds); 2-fold cross-validation over STS_001-028 kept it against 64-32-16-16-8 trained for 1.6 times the epochs (docs/results.md: out-of-fold Dice 0.703 against 0.653, the narrow decoder better on 10 of 28 patients), and against 256-128-64-32-16, which tied at twice the CPU time per epoch (0.706 against 0.707, better on 16 of 28 patients, 95 % CI of the difference −0.011 to +0.009)`;
  if (affordable(encoder, filters) < PLAN_RULES.minEpochs && affordable(encoder, PLAN_RULES.cheaperDecoderFilters) > affordable(encoder, filters)) {
    filters = PLAN_RULES.cheaperDecoderFilters;
    decoderReason = `the reference decoder 128-64-32-16-16 affords fewer than ${PLAN_RULES.minEpochs} epochs in the budget, so the cheaper 64-32-16-16-8 (0.61x its CPU time per step; README: the best of the widths trained on STS before issue 15); ${confirm}`;
  }
  const fits = Math.max(1, affordable(encoder, filters));
  const epochs = Math.min(desiredEpochs, fits);
  const epochSeconds = epochSecondsOf(encoder, filters);
  const postprocessingSeconds = postprocessingSecondsOf(encoder, filters);
  const minutes = round((models * (PLAN_RULES.overheadSeconds + epochs * epochSeconds + postprocessingSeconds)) / 60, 1);
  const budgetMinutes = round(budgetSeconds / 60, 1);
  const stepSeconds = secondsPerStepOf(encoder, filters);
  const planned = networkOf(encoder, filters);
  const sameNetwork = (n: PlannedNetwork) => networkName(n) === networkName(planned) && n.workers === planned.workers;
  const stepSource =
    given !== undefined
      ? `${round(stepSeconds, 3)} s/step given (--seconds-per-step ${given} for decoder ${key(PLAN_RULES.decoderFilters)}${sameNetwork(basis!.network) ? '' : `, scaled to ${key(filters)} by the cost model`})`
      : measurement !== undefined
        ? `${round(stepSeconds, 3)} s/step measured on this machine over ${measurement.steps} timed steps of ${networkName(measurement.network)}, ${measurement.network.workers} worker(s) (${measurement.note})${sameNetwork(measurement.network) ? '' : `, scaled to decoder ${key(filters)} by the cost model`}`
        : `${round(stepSeconds, 3)} s/step estimated (not measured) from the README's benchmark figures for ${networkName(planned)}, ${workers} worker(s), the encoder's cost scaled by its FLOPs`;
  const epochsReason =
    `${PLAN_RULES.targetSteps} optimiser steps (15 epochs of the 1709 slices of STS_001-028 at batch 8: the PyTorch reference's 15 epochs) at ${stepsPerEpoch} steps per epoch gives ${desiredEpochs} epochs (kept within ${PLAN_RULES.minEpochs}-${PLAN_RULES.maxEpochs})` +
    (epochs < desiredEpochs ? `, but ${Math.round(PLAN_RULES.plannedBudgetShare * 100)} % of the budget of ${budgetMinutes} min (the rest a margin for a machine that slows) affords ${fits} epoch(s) of ${round(epochSeconds, 0)} s and the post-processing choice (${round(postprocessingSeconds, 0)} s)${models > 1 ? ` for each of ${models} fold models` : ''}` : `, which fits the budget of ${budgetMinutes} min`) +
    `; at ${stepSource}, training takes ${minutes} min${models > 1 ? ` for ${models} models` : ''}, choosing the post-processing included${withinBudgetText(minutes, budgetMinutes)}; ${confirm}`;
  const withinBudget = minutes <= budgetMinutes;

  return {
    ingest: {
      spacing: { value: spacing, reason: spacingReason },
      normalize,
      reingest: reingestReasons.length === 0 ? null : `ingest again with ${reingestReasons.join(' and ')}`,
    },
    train: {
      encoder: {
        value: encoder,
        reason: encoderReason,
      },
      encoderWeights: { value: 'imagenet', reason: 'ImageNet transfer beats a random encoder on STS (README: +0.109 to +0.131 Dice; design: PyTorch 0.77 against 0.64)' },
      inputSize: { value: inputSize, reason: sizeReason },
      decoderFilters: { value: filters, reason: decoderReason },
      batchSize: { value: batchSize, reason: `8 slices per step, the setting of today's defaults (issue 15: 0.755 on unseen patients) and of the README's speed figures; the tuned batch 16 came with the recipe that generalised worse; ${confirm}` },
      lr: { value: PLAN_RULES.lr, reason: `Adam at 1e-3, today's default (issue 15: 0.755 on unseen patients, against 0.717 for the tuned 2e-3 recipe); in 2-fold cross-validation over STS_001-028, 2e-3 tied with it (docs/results.md: out-of-fold Dice 0.702 against 0.707, better on 14 of 28 patients, 95 % CI of the difference −0.022 to +0.013), so it stays` },
      schedule: { value: 'cosine', reason: 'cosine decay to 5% of the rate over the planned epochs, the only schedule train has; the plan runs it to its end (see patience)' },
      loss: { value: 'dice+bce', reason: 'Dice + BCE, as nnU-Net and the PyTorch reference; the other losses are untested on STS' },
      augment: {
        value: 'default',
        reason: `the default preset (flips on both axes, rotations, scaling, intensity: nnU-Net's 2D set): the PyTorch reference used flips and ±10° rotations, and today's defaults with this preset (0.755 on unseen patients) beat the light-augmented tuned recipe (0.717); in 2-fold cross-validation over STS_001-028 the light preset lost (docs/results.md: out-of-fold Dice 0.685 against 0.707, better on 8 of 28 patients); it also makes flip TTA safe`,
      },
      contextSlices: { value: 0, reason: '2D input: 2.5D (--context-slices 1) reached the same validation Dice but lost on the test patients (README, 0.707 against 0.724)' },
      epochs: { value: epochs, reason: epochsReason },
      patience: { value: epochs, reason: 'no early stopping: the cosine schedule runs to its end and the best validation epoch is kept (README: validation Dice swings between epochs, so stopping on it ends runs early)' },
      bnRecalibration: { value: PLAN_RULES.bnRecalibration, reason: "precise BN before each validation from 512 training slices (README: after one epoch 0.592 Dice with TF.js's moving averages, 0.663 recalibrated)" },
      workers: { value: workers, reason: `${cores} core(s): ${workers === 2 ? 'two workers (README: 1.70x the training speed of one on 2 cores); more were not measured' : 'one worker'}` },
      validation,
    },
    predict: {
      threshold: { value: 0.5, reason: 'the probability midpoint, the default that train starts from: at the end of every run it scores thresholds 0.1-0.7 on the validation patients and records the choice in run.json (nnU-Net: another threshold only if it raises the mean per-patient Dice); predict applies the run\'s choice' },
      largestComponent: {
        value: false,
        reason: "every component as the prior; the run decides: train keeps the largest 3D connected component only when it raises the validation patients' mean per-patient Dice (nnU-Net v2's determine_postprocessing keeps a cleanup only on strict improvement), records that in run.json, and predict applies it. It removes true tumour in cases with more than one part (docs/results.md: one default STS run lost a patient to it)",
      },
      tta: {
        value: true,
        reason:
          "flip TTA on, fixed rather than chosen: the planned augmentation flips both axes, so mirrored slices are in distribution, and nnU-Net always mirrors such a model; train chooses the threshold and cleanup on flip-TTA probabilities of the validation patients (cross-validation over STS_001-028: +0.006 out-of-fold Dice, better on 17 of 28 patients, docs/results.md) and predict applies it. Without both flips it hurts (README: a light-augmentation model, STS_030 0.58 to 0.37)",
      },
    },
    estimate: {
      secondsPerStep: round(stepSeconds, 4),
      secondsPerStepSource: basis === undefined ? 'estimated' : 'measured',
      measurement: measurement ?? null,
      trainingSlices,
      stepsPerEpoch,
      secondsPerEpoch: round(epochSeconds, 1),
      postprocessingSeconds: round(postprocessingSeconds, 1),
      models,
      minutes,
      budgetMinutes,
      withinBudget,
    },
  };
}

