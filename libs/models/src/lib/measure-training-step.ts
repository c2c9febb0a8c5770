import * as tf from '@tensorflow/tfjs';
import { type DatasetManifest, normalizedRange, type NormalizationSpec, PLAN_RULES, type PlannedNetwork, readDatasetManifest, type StepMeasurement, type StepMeasurer } from '@medseg/data';
import type { BackendName } from './backend/selectBackend.js';
import { concatSliceSets, loadDatasetSlices } from './dataset-slices.js';
import { parallelBatchGradients } from './data-parallel/parallel-gradients.js';
import { replicaBackends } from './data-parallel/replica-pool.js';
import { startReplicas } from './data-parallel/start-replicas.js';
import { ModelOptionsError } from './errors.js';
import { FlatAdamOptimizer } from './flat-adam.js';
import { type LossName, segmentationLoss } from './losses.js';
import { inputChannels } from './slice-context.js';
import { intensityRange, type SliceSet } from './slice-set.js';
import type { TrainingBatch } from './training-batch.js';
import { batchGradients, trainableVariables } from './training-step.js';
import { buildUnet } from './unet.js';

export interface MeasureTrainingStepOptions {
  /** Timed optimiser steps after the warm-up. Default 3. */
  readonly steps?: number;
  /** Untimed steps first (kernels compiled, buffers allocated). Default 1. */
  readonly warmupSteps?: number;
  /** The active backend (`tf.getBackend()` when absent): replicas start only on one-thread backends (wasm, cpu). */
  readonly backend?: BackendName;
  readonly loss?: LossName;
  readonly seed?: number;
  /**
   * false: time the steps on one thread even when the plan has more workers, and divide by the documented
   * two-worker speed-up (`PLAN_RULES.cost.twoWorkerSpeedup`), saving the replicas' start. Default true.
   */
  readonly replicas?: boolean;
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/**
 * Enough real training slices for `count` slices: the dataset's training cases read one at a time (as training
 * reads them, empty slices left out for a `--drop-empty` dataset) until there are that many, at the network's size.
 */
async function firstTrainingSlices(folder: string, manifest: DatasetManifest, network: PlannedNetwork, count: number): Promise<SliceSet> {
  const cases = manifest.cases.filter((c) => c.split === 'train');
  const pool = cases.length > 0 ? cases : manifest.cases.filter((c) => c.split !== 'test');
  if (pool.length === 0) throw new ModelOptionsError('measureTrainingStep: the dataset has no training cases', { path: folder });
  const parts: SliceSet[] = [];
  let have = 0;
  for (const entry of pool) {
    if (have >= count) break;
    const part = await loadDatasetSlices(folder, 'train', network.inputSize, { manifest: { ...manifest, cases: [{ ...entry, split: 'train' }] }, contextSlices: network.contextSlices });
    parts.push(part);
    have += part.count;
  }
  if (have === 0) throw new ModelOptionsError('measureTrainingStep: the training cases hold no slices', { path: folder });
  return concatSliceSets(parts, network.inputSize, inputChannels(network.contextSlices));
}

/** Batch `b` of `batchSize` consecutive slices, wrapping around when there are fewer. */
function batchOf(slices: SliceSet, b: number, batchSize: number): TrainingBatch {
  const plane = slices.height * slices.width;
  const inputPlane = plane * slices.channels;
  const images = new Float32Array(batchSize * inputPlane);
  const masks = new Uint8Array(batchSize * plane);
  for (let k = 0; k < batchSize; k++) {
    const s = (b * batchSize + k) % slices.count;
    images.set(slices.images.subarray(s * inputPlane, (s + 1) * inputPlane), k * inputPlane);
    masks.set(slices.masks.subarray(s * plane, (s + 1) * plane), k * plane);
  }
  return { images, masks, count: batchSize, height: slices.height, width: slices.width, ...(slices.channels === 1 ? {} : { channels: slices.channels }) };
}

/**
 * Seconds per training step of a planned network on this machine: builds the network (a random encoder: the
 * same layers and cost as the ImageNet one, with no weights to fetch), reads a few real training batches of the
 * dataset, runs `warmupSteps` untimed and `steps` timed optimiser steps exactly as trainUnet does (batchGradients,
 * or parallelBatchGradients over replicas with the planned workers, and Adam), and disposes everything. Without
 * augmentation, which training runs a batch ahead in a worker thread. When the backend cannot start replicas, the
 * steps run on one thread and the time is divided by the documented two-worker speed-up (`note` says so).
 */
export async function measureTrainingStep(folder: string, network: PlannedNetwork, options: MeasureTrainingStepOptions = {}): Promise<StepMeasurement> {
  const started = performance.now();
  const steps = options.steps ?? 3;
  const warmupSteps = options.warmupSteps ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new ModelOptionsError(`measureTrainingStep: steps must be a positive integer, got ${steps}`, { path: folder });
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new ModelOptionsError(`measureTrainingStep: warmupSteps must be a whole number, got ${warmupSteps}`, { path: folder });
  const backend = options.backend ?? (tf.getBackend() as BackendName);
  const manifest = await readDatasetManifest(folder);
  const slices = await firstTrainingSlices(folder, manifest, network, (warmupSteps + steps) * network.batchSize);
  const normalization = manifest.cases[0]?.normalization.spec as NormalizationSpec | undefined;
  const range = normalization === undefined ? undefined : normalizedRange(normalization);
  const unet = await buildUnet({
    backbone: network.encoder,
    encoderWeights: 'none',
    decoderFilters: [...network.decoderFilters],
    classes: Math.max(1, manifest.classes.length - 1),
    inputSize: network.inputSize,
    intensityRange: range ?? intensityRange(slices.images),
    seed: options.seed ?? 0,
    contextSlices: network.contextSlices,
  });
  const loss = options.loss ?? 'dice+bce';
  const lossFn = segmentationLoss(loss);
  const optimizer = new FlatAdamOptimizer(PLAN_RULES.lr);
  const variables = trainableVariables(unet);
  const pick = (grads: tf.NamedTensorMap) => Object.fromEntries(variables.map((v) => [v.name, grads[v.name]!])) as unknown as Gradients;
  const useReplicas = network.workers > 1 && replicaBackends.includes(backend);
  let replicas: Awaited<ReturnType<typeof startReplicas>> | undefined;
  try {
    replicas = useReplicas && options.replicas !== false ? await startReplicas([unet], network.workers, backend, loss) : undefined;
    const pool = replicas?.pools?.[0];
    // trainUnet's singleStep and parallelStep.
    const step = async (batch: TrainingBatch): Promise<number> => {
      if (pool === undefined) {
        const value = tf.tidy(() => {
          const { value, grads } = batchGradients(unet, lossFn, batch);
          optimizer.applyGradients(pick(grads));
          return value;
        });
        try {
          return (await value.data())[0]!;
        } finally {
          value.dispose();
        }
      }
      const { loss: value, grads } = await parallelBatchGradients(unet, lossFn, batch, pool);
      try {
        optimizer.applyGradients(pick(grads));
      } finally {
        tf.dispose(Object.values(grads));
      }
      return value;
    };
    for (let b = 0; b < warmupSteps; b++) await step(batchOf(slices, b, network.batchSize));
    const batches = Array.from({ length: steps }, (_, k) => batchOf(slices, warmupSteps + k, network.batchSize));
    const timed = performance.now();
    for (const batch of batches) {
      const value = await step(batch);
      if (!Number.isFinite(value)) throw new ModelOptionsError(`measureTrainingStep: a step's loss is ${value}`, { path: folder });
    }
    const seconds = (performance.now() - timed) / 1000 / steps;
    const measuredWorkers = pool === undefined ? 1 : pool.size + 1;
    // One thread where replicas were wanted but not started: scale by the documented speed-up.
    const scaled = measuredWorkers < network.workers && useReplicas;
    const secondsPerStep = scaled ? seconds / PLAN_RULES.cost.twoWorkerSpeedup : seconds;
    const note = scaled
      ? `${backend} backend, 1 worker: ${seconds.toFixed(3)} s/step measured, divided by the documented ${PLAN_RULES.cost.twoWorkerSpeedup}x two-worker speed-up`
      : measuredWorkers < network.workers
        ? `${backend} backend, which uses every core by itself (training starts no replicas on it either)`
        : `${backend} backend, ${measuredWorkers} thread(s), augmentation not timed (training runs it a batch ahead in a worker)`;
    return { network, secondsPerStep, steps, measuredWorkers, wallSeconds: (performance.now() - started) / 1000, note };
  } finally {
    await replicas?.pools?.[0]?.close();
    optimizer.dispose();
    unet.dispose();
  }
}

/** A StepMeasurer for `planDataset` / `ensurePlans` (`medseg plan`, plan-driven `medseg train`). */
export function trainingStepMeasurer(options: MeasureTrainingStepOptions = {}): StepMeasurer {
  return (folder, network) => measureTrainingStep(folder, network, options);
}
