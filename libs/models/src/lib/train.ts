import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng, type Rng, writeFileAtomic } from '@medseg/data';
import { trainingCurvesSvg } from './training-curves.js';
import type { EpochMetrics, TrainSettings, TrainState } from './train-settings.js';
import type { RunRecord } from './run-record-schema.js';
import { recalibrateBatchNorm } from './batch-norm-recalibration.js';
import { type CheckpointContents, type NamedTensor, saveCheckpoint } from './checkpoint.js';
import { diceScore, nanMean } from './dice.js';
import { ModelOptionsError } from './errors.js';
import { FlatAdamOptimizer } from './flat-adam.js';
import { lossNames, segmentationLoss } from './losses.js';
import { predictSlices, probabilitiesToLabels } from './predict-slices.js';
import type { ReplicaPool } from './data-parallel/replica-pool.js';
import { parallelBatchGradients } from './data-parallel/parallel-gradients.js';
import { predictSlicesParallel } from './data-parallel/parallel-predict.js';
import { augmentChannels } from './augment-channels.js';
import type { SliceSet } from './slice-set.js';
import type { TrainingBatch } from './training-batch.js';
import { batchGradients } from './training-step.js';
import { type Unet, unetInputChannels } from './unet.js';
import { outputChannels } from './decoder.js';


export type { EpochMetrics, TrainSettings, TrainState } from './train-settings.js';

export type TrainEvent =
  | { type: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number }
  /** After an epoch's last batch, before BN recalibration and validation (an abort now is seen when the epoch ends). */
  | { type: 'validation'; epoch: number; epochs: number }
  | ({ type: 'epoch'; epochs: number; improved: boolean } & EpochMetrics)
  | { type: 'interrupted'; epoch: number; batch: number };

export interface TrainOptions {
  unet: Unet;
  train: SliceSet;
  val: SliceSet;
  /** Run folder: `last/`, `best/` checkpoints, `log.jsonl` and `curves.svg` (refreshed each epoch). */
  outDir: string;
  settings: TrainSettings;
  /**
   * Augments a batch. It may return a promise (a pipeline in a worker thread): the loop then starts the next
   * batch's augmentation before the current step, so both cores work. Each batch's generator depends only on the
   * epoch and the batch index, so the result is the same whichever way it runs.
   */
  augment?: (batch: TrainingBatch, rng: Rng) => TrainingBatch | Promise<TrainingBatch>;
  /** Aborting saves `last/` at the current batch, then returns with `interrupted: true`. */
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
  /** Continue from a checkpoint's state and optimiser weights (its `unet` must be `unet`). */
  resume?: Pick<CheckpointContents, 'state' | 'optimizers'>;
  /**
   * Copies of `unet` in worker threads (createReplicaPool) for data parallelism: each batch is split into
   * near-equal shares, one for the main thread and one per replica, and the optimiser applies the share-weighted
   * mean of their gradients. Each share's decoder BN uses its own batch statistics (as PyTorch DDP without
   * SyncBatchNorm), so a run with replicas is reproducible for the same number of them, not identical to one
   * without.
   */
  replicas?: ReplicaPool;
  /** The run record, kept in every checkpoint so that a checkpoint folder describes itself. */
  run?: RunRecord;
}

export interface TrainResult {
  state: TrainState;
  interrupted: boolean;
}

export function validateTrainSettings(settings: TrainSettings): void {
  const positiveInt = (name: keyof TrainSettings) => {
    const value = settings[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ModelOptionsError(`trainUnet: ${name} must be a positive integer, got ${String(value)}`);
    }
  };
  positiveInt('epochs');
  positiveInt('batchSize');
  positiveInt('patience');
  const recalibration = settings.batchNormRecalibration ?? 0;
  if (!Number.isInteger(recalibration) || recalibration < 0) {
    throw new ModelOptionsError(`trainUnet: batchNormRecalibration must be a whole number of slices, got ${String(recalibration)}`);
  }
  for (const name of ['learningRate', 'encoderLearningRate'] as const) {
    if (!(settings[name] > 0)) throw new ModelOptionsError(`trainUnet: ${name} must be positive, got ${settings[name]}`);
  }
  if (!lossNames.includes(settings.loss)) throw new ModelOptionsError(`trainUnet: loss must be one of ${lossNames.join(', ')}, got ${settings.loss}`);
  if (!Number.isInteger(settings.seed)) throw new ModelOptionsError(`trainUnet: seed must be an integer, got ${settings.seed}`);
}

export function learningRateAt(settings: TrainSettings, epoch: number): number {
  if (settings.schedule === 'constant') return settings.learningRate;
  return settings.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / settings.epochs)));
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** The gradients of some variables, in the variables' order (Adam keeps its moments by position). */
function pick(grads: tf.NamedTensorMap, variables: readonly tf.Variable[]): Gradients {
  return Object.fromEntries(variables.map((v) => [v.name, grads[v.name]!])) as unknown as Gradients;
}

/**
 * Best epoch, epochs since it, and whether to stop after the epoch that produced `metrics`: the validation
 * per-patient Dice must strictly improve to count; `patience` epochs without improvement stop the run.
 */
export function epochOutcome(
  state: Pick<TrainState, 'best' | 'epochsSinceBest'>,
  metrics: EpochMetrics,
  settings: Pick<TrainSettings, 'epochs' | 'patience'>,
): Pick<TrainState, 'best' | 'epochsSinceBest' | 'stopped'> {
  const improved = Number.isFinite(metrics.valDicePatient) && (state.best === null || metrics.valDicePatient > state.best.valDicePatient);
  const epochsSinceBest = improved ? 0 : state.epochsSinceBest + 1;
  return {
    best: improved ? { epoch: metrics.epoch, valDicePatient: metrics.valDicePatient } : state.best,
    epochsSinceBest,
    stopped: metrics.epoch >= settings.epochs ? 'completed' : epochsSinceBest >= settings.patience ? 'early-stopping' : null,
  };
}

/** Fisher-Yates with a seeded generator. */
function permutation(n: number, rng: Rng): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Validation Dice per slice and per case at the network's input size; with replicas, the slices are shared out
 * between threads (the same probabilities).
 */
export async function validationDice(unet: Unet, val: SliceSet, batchSize: number, replicas?: ReplicaPool): Promise<{ perSlice: number; perPatient: number }> {
  const channels = outputChannels(unet.config.classes);
  const probs = replicas === undefined ? await predictSlices(unet, val.images, val.count, { batchSize }) : await predictSlicesParallel(unet, replicas, val.images, val.count, { batchSize });
  const labels = probabilitiesToLabels(probs, channels);
  const plane = val.height * val.width;
  const sliceDice: number[] = [];
  for (let s = 0; s < val.count; s++) sliceDice.push(foregroundDice(val.masks, labels, unet.config.classes, s * plane, plane));
  const caseDice = val.caseIds.map((_, ci) => {
    const first = val.caseIndex.indexOf(ci);
    const last = val.caseIndex.lastIndexOf(ci);
    return first < 0 ? Number.NaN : foregroundDice(val.masks, labels, unet.config.classes, first * plane, (last - first + 1) * plane);
  });
  return { perSlice: nanMean(sliceDice), perPatient: nanMean(caseDice) };
}

function foregroundDice(truth: Uint8Array, prediction: Uint8Array, classes: number, offset: number, length: number): number {
  const per: number[] = [];
  for (let label = 1; label <= classes; label++) per.push(diceScore(truth, prediction, label, offset, length));
  return nanMean(per);
}

/**
 * Trains the decoder (and unfrozen encoder layers) of `unet`. The frozen encoder runs as a separate inference
 * pass whose features enter the gradient tape as constants; only the decoder sees `training: true`. Every
 * random choice derives from the seed, per epoch and batch, so the same seed on the same backend gives the
 * same weights, and a resumed run continues exactly where the interrupted one would have gone.
 */
export async function trainUnet(options: TrainOptions): Promise<TrainResult> {
  const { unet, train, val, outDir, settings } = options;
  validateTrainSettings(settings);
  const size = unet.config.inputSize;
  if (train.height !== size || val.height !== size) throw new ModelOptionsError(`trainUnet: slices must be ${size}x${size} (the model's inputSize)`);
  if (train.count === 0) throw new ModelOptionsError('trainUnet: no training slices');
  const inputs = unetInputChannels(unet.config);
  if (train.channels !== inputs || val.channels !== inputs) {
    throw new ModelOptionsError(`trainUnet: slices have ${train.channels} (train) and ${val.channels} (val) input channel(s), the model takes ${inputs}`);
  }
  await mkdir(outDir, { recursive: true });
  const logPath = join(outDir, 'log.jsonl');
  const log = (record: Record<string, unknown>) => appendFile(logPath, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);

  const lossFn = segmentationLoss(settings.loss);
  const decoderVars = unet.decoderVariables();
  const encoderVars = unet.encoderTrainableVariables();
  const decoderOptimizer = new FlatAdamOptimizer(learningRateAt(settings, 0));
  const encoderOptimizer = encoderVars.length > 0 ? new FlatAdamOptimizer(settings.encoderLearningRate) : null;
  const root = createRng(settings.seed);
  let state: TrainState = {
    epoch: 0,
    batch: 0,
    lossSum: 0,
    lossCount: 0,
    history: [],
    best: null,
    epochsSinceBest: 0,
    rng: root.child('epoch:0').state(),
    stopped: null,
    elapsedSeconds: 0,
  };
  if (options.resume !== undefined) {
    state = options.resume.state;
    const saved = options.resume.optimizers;
    if (saved['decoder'] !== undefined && saved['decoder'].length > 1) await decoderOptimizer.setWeights(saved['decoder']);
    if (encoderOptimizer !== null && saved['encoder'] !== undefined && saved['encoder'].length > 1) await encoderOptimizer.setWeights(saved['encoder']);
    // setWeights copies the values into new variables; the loaded tensors are no longer needed.
    for (const list of Object.values(saved)) tf.dispose(list.map((w) => w.tensor));
    await log({ event: 'resume', epoch: state.epoch, batch: state.batch });
  } else {
    await log({ event: 'start', config: unet.config, settings, trainSlices: train.count, valSlices: val.count, backend: tf.getBackend() });
  }
  const checkpoint = async (dir: string, snapshot: TrainState) => {
    const optimizers: Record<string, NamedTensor[]> = { decoder: await decoderOptimizer.getWeights() };
    if (encoderOptimizer !== null) optimizers['encoder'] = await encoderOptimizer.getWeights();
    try {
      await saveCheckpoint(join(outDir, dir), { unet, optimizers, state: snapshot, training: settings, ...(options.run === undefined ? {} : { run: options.run }) });
    } finally {
      // getWeights() returns the optimiser's variables plus a fresh scalar for its step count: free the scalar.
      for (const list of Object.values(optimizers)) for (const w of list) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    }
  };

  const applyGradients = (grads: tf.NamedTensorMap) => {
    decoderOptimizer.applyGradients(pick(grads, decoderVars));
    if (encoderOptimizer !== null) encoderOptimizer.applyGradients(pick(grads, encoderVars));
  };
  const singleStep = async (batch: TrainingBatch): Promise<number> => {
    const value = tf.tidy(() => {
      const { value, grads } = batchGradients(unet, lossFn, batch);
      applyGradients(grads);
      return value;
    });
    // Read back asynchronously: the webgpu backend cannot read synchronously in Node (no OffscreenCanvas).
    try {
      return (await value.data())[0]!;
    } finally {
      value.dispose();
    }
  };
  const parallelStep = async (batch: TrainingBatch, replicas: ReplicaPool): Promise<number> => {
    const { loss, grads } = await parallelBatchGradients(unet, lossFn, batch, replicas);
    try {
      applyGradients(grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
    return loss;
  };

  const plane = size * size;
  const inputPlane = plane * inputs;
  const batches = Math.ceil(train.count / settings.batchSize);
  const started = Date.now() - state.elapsedSeconds * 1000;
  try {
    while (state.stopped === null) {
      const epoch = state.epoch;
      const epochStart = Date.now();
      const epochRng = createRng(state.rng);
      const order = permutation(train.count, epochRng.child('shuffle'));
      const rate = learningRateAt(settings, epoch);
      decoderOptimizer.learningRate = rate;
      const prepare = (b: number): TrainingBatch | Promise<TrainingBatch> => {
        const indices = order.subarray(b * settings.batchSize, Math.min((b + 1) * settings.batchSize, train.count));
        const batch: TrainingBatch = {
          images: new Float32Array(indices.length * inputPlane),
          masks: new Uint8Array(indices.length * plane),
          count: indices.length,
          height: size,
          width: size,
          ...(inputs === 1 ? {} : { channels: inputs }),
        };
        indices.forEach((slice, k) => {
          batch.images.set(train.images.subarray(slice * inputPlane, (slice + 1) * inputPlane), k * inputPlane);
          batch.masks.set(train.masks.subarray(slice * plane, (slice + 1) * plane), k * plane);
        });
        if (options.augment === undefined) return batch;
        const augmented = augmentChannels(options.augment, batch, () => epochRng.child(`augment:${b}`));
        // A prefetched batch that is never awaited (the run was interrupted) must not become an unhandled rejection.
        if (augmented instanceof Promise) augmented.catch(() => undefined);
        return augmented;
      };
      let upcoming = state.batch < batches ? prepare(state.batch) : undefined;
      for (let b = state.batch; b < batches; b++) {
        const batch = await upcoming!;
        // Start the next batch now: a worker-backed augmenter prepares it while this step trains.
        upcoming = b + 1 < batches ? prepare(b + 1) : undefined;
        const loss = options.replicas === undefined ? await singleStep(batch) : await parallelStep(batch, options.replicas);
        // Let the event loop turn: without this a Ctrl-C (a signal event) would wait for the end of the run.
        await new Promise((resolve) => setImmediate(resolve));
        state = { ...state, batch: b + 1, lossSum: state.lossSum + loss * batch.count, lossCount: state.lossCount + batch.count };
        options.onEvent?.({ type: 'batch', epoch, epochs: settings.epochs, batch: b + 1, batches, loss: state.lossSum / state.lossCount });
        if (options.signal?.aborted === true && b + 1 < batches) {
          state = { ...state, elapsedSeconds: (Date.now() - started) / 1000 };
          await checkpoint('last', state);
          await log({ event: 'interrupted', epoch, batch: b + 1 });
          options.onEvent?.({ type: 'interrupted', epoch, batch: b + 1 });
          return { state, interrupted: true };
        }
      }
      options.onEvent?.({ type: 'validation', epoch, epochs: settings.epochs });
      const recalibration = settings.batchNormRecalibration ?? 0;
      if (recalibration > 0) {
        // The same subset every epoch, so a resumed run recalibrates exactly as the uninterrupted one.
        recalibrateBatchNorm(unet, train, { batchSize: Math.max(2, settings.batchSize), maxSlices: recalibration, rng: root.child('bn-recalibration') });
      }
      const dice = await validationDice(unet, val, settings.batchSize, options.replicas);
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        loss: state.lossSum / Math.max(1, state.lossCount),
        learningRate: rate,
        valDiceSlice: dice.perSlice,
        valDicePatient: dice.perPatient,
        seconds: (Date.now() - epochStart) / 1000,
      };
      const next = epoch + 1;
      const outcome = epochOutcome(state, metrics, settings);
      const improved = outcome.epochsSinceBest === 0;
      state = {
        ...outcome,
        epoch: next,
        batch: 0,
        lossSum: 0,
        lossCount: 0,
        history: [...state.history, metrics],
        rng: root.child(`epoch:${next}`).state(),
        elapsedSeconds: (Date.now() - started) / 1000,
      };
      if (improved) await checkpoint('best', state);
      await checkpoint('last', state);
      await writeFileAtomic(join(outDir, 'curves.svg'), trainingCurvesSvg(state.history, state.best));
      await log({ event: 'epoch', ...metrics, improved });
      options.onEvent?.({ type: 'epoch', epochs: settings.epochs, improved, ...metrics });
      if (options.signal?.aborted === true && state.stopped === null) {
        await log({ event: 'interrupted', epoch: next, batch: 0 });
        options.onEvent?.({ type: 'interrupted', epoch: next, batch: 0 });
        return { state, interrupted: true };
      }
    }
    await log({ event: 'end', stopped: state.stopped, best: state.best, epochs: state.epoch, seconds: state.elapsedSeconds });
    return { state, interrupted: false };
  } finally {
    decoderOptimizer.dispose();
    encoderOptimizer?.dispose();
  }
}
