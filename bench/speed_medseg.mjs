// @ts-check
// One medseg measurement for `npm run bench:speed` (bench/speed.mjs runs it in a fresh process per size):
// the U-Net of @medseg/models (MobileNet v1 a0.25 frozen encoder, U-Net decoder) on the wasm backend, timed
// for a training step exactly as trainUnet takes it (frozen encoder features computed outside the tape in
// inference mode, variableGrads over the decoder, Adam) and for inference (encoder + decoder, inference mode).
//
// --workers N > 1 measures data parallelism over worker threads (tfjs-backend-wasm runs one thread per
// instance under Node): N replicas built from the same seed each take batch/N images, the gradients are averaged
// through the main thread (one Float32Array each way per step) and every replica applies the same averaged
// gradient with its own Adam, so the weights stay identical without being sent; inference splits the batch.
// BN batch statistics are per replica (as in PyTorch DDP without SyncBatchNorm).
// Prints one JSON line: {"train_img_s", "infer_img_s", "train_ms", "infer_ms", "train_cpu_ms", ...}.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { buildUnet, segmentationLoss, selectBackend } from '@medseg/models';

/** @typedef {{ size: number, batch: number, filters: string, warmup: number, steps: number, backend: string, workers: number }} Options */

/** @returns {Options} */
function mainOptions() {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '128' },
      batch: { type: 'string', default: '8' },
      filters: { type: 'string', default: '256,128,64,32,16' },
      warmup: { type: 'string', default: '2' },
      steps: { type: 'string', default: '5' },
      backend: { type: 'string', default: 'wasm' },
      workers: { type: 'string', default: '1' },
    },
  });
  return {
    size: Number(values.size),
    batch: Number(values.batch),
    filters: String(values.filters),
    warmup: Number(values.warmup),
    steps: Number(values.steps),
    backend: String(values.backend),
    workers: Number(values.workers),
  };
}

const options = isMainThread ? mainOptions() : /** @type {Options & { share: number }} */ (workerData);
const size = options.size;
const batch = options.batch;
// This replica's share of the batch (the main thread takes the remainder).
const share = isMainThread ? batch - Math.floor(batch / options.workers) * (options.workers - 1) : /** @type {any} */ (workerData).share;
const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(fileURLToPath(import.meta.url), '../../../shared');

const backend = await selectBackend(/** @type {import('@medseg/models').BackendChoice} */ (options.backend));
const unet = await buildUnet({
  backbone: 'mobilenet_v1_0.25',
  encoderWeights: resolve(sharedRoot, 'weights/mobilenet_v1_0.25_224'),
  inputSize: size,
  decoderFilters: options.filters.split(',').map(Number),
  intensityRange: [0, 1],
  seed: 1,
});
const lossFn = segmentationLoss('dice+bce');
const decoderVars = unet.decoderVariables();
const optimizer = tf.train.adam(1e-3);
// Same data for every step: speed does not depend on the values (no data-dependent kernels in the network).
// Grey slices, as trainUnet and predictSlices hand them to the network.
const x = /** @type {tf.Tensor3D} */ (tf.randomUniform([share, size, size], 0, 1, 'float32', 1));
const y = tf.randomUniform([share, size, size, 1], 0, 1, 'float32', 2).round();
const parameterCount = decoderVars.reduce((n, v) => n + v.size, 0);

/** This replica's gradients, flattened in decoderVars order. */
function localGradients() {
  const { value, grads } = tf.tidy(() => {
    // As trainUnet does with a frozen encoder: the fast inference-mode features, outside the tape.
    const features = unet.features(x);
    return tf.variableGrads(() => lossFn(/** @type {tf.Tensor4D} */ (y), /** @type {tf.Tensor4D} */ (unet.decoder.apply(features, { training: true }))), decoderVars);
  });
  const flat = new Float32Array(parameterCount);
  let offset = 0;
  for (const v of decoderVars) {
    const g = /** @type {tf.Tensor} */ (grads[v.name]);
    flat.set(/** @type {Float32Array} */ (g.dataSync()), offset);
    offset += v.size;
  }
  tf.dispose([value, ...Object.values(grads)]);
  return flat;
}

/** Applies flattened gradients with this replica's Adam. @param {Float32Array} flat */
function applyFlat(flat) {
  tf.tidy(() => {
    /** @type {tf.NamedTensorMap} */
    const grads = {};
    let offset = 0;
    for (const v of decoderVars) {
      grads[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
      offset += v.size;
    }
    optimizer.applyGradients(/** @type {any} */ (grads));
  });
}

function inferLocal() {
  const out = unet.predict(x);
  out.dataSync();
  out.dispose();
}

if (!isMainThread) {
  const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
  port.on('message', (/** @type {{ type: string, grads?: Float32Array }} */ message) => {
    if (message.type === 'train') {
      const flat = localGradients();
      port.postMessage({ type: 'grads', grads: flat }, [flat.buffer]);
    } else if (message.type === 'apply') {
      applyFlat(/** @type {Float32Array} */ (message.grads));
    } else if (message.type === 'infer') {
      inferLocal();
      port.postMessage({ type: 'inferred' });
    } else if (message.type === 'stop') {
      port.close();
    }
  });
  port.postMessage({ type: 'ready' });
}

/** @type {Worker[]} */
const workers = [];
/** @type {((message: any) => void)[]} */
const waiting = [];
/** Resolves with the next message of worker `i`. @param {number} i */
const nextMessage = (i) => new Promise((resolve) => (waiting[i] = resolve));

if (isMainThread) {
  for (let i = 1; i < options.workers; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { ...options, share: Math.floor(batch / options.workers) } });
    const index = workers.length;
    worker.on('message', (message) => waiting[index]?.(message));
    worker.on('error', (error) => {
      console.error(error);
      process.exit(1);
    });
    workers.push(worker);
  }
  await Promise.all(workers.map((_, i) => nextMessage(i)));
}

async function trainStep() {
  const replies = workers.map((worker, i) => {
    const reply = nextMessage(i);
    worker.postMessage({ type: 'train' });
    return reply;
  });
  const sum = localGradients();
  for (const reply of await Promise.all(replies)) {
    const grads = /** @type {Float32Array} */ (reply.grads);
    for (let k = 0; k < sum.length; k++) sum[k] = /** @type {number} */ (sum[k]) + /** @type {number} */ (grads[k]);
  }
  // The loss is a mean over each replica's images; the average of the replicas' gradients is the batch's.
  if (workers.length > 0) for (let k = 0; k < sum.length; k++) sum[k] = /** @type {number} */ (sum[k]) / (workers.length + 1);
  for (const worker of workers) worker.postMessage({ type: 'apply', grads: sum });
  applyFlat(sum);
}

async function inferStep() {
  const replies = workers.map((worker, i) => {
    const reply = nextMessage(i);
    worker.postMessage({ type: 'infer' });
    return reply;
  });
  inferLocal();
  await Promise.all(replies);
}

/**
 * Median wall time of `steps` calls after `warmup` calls, in ms, and the mean CPU time (user + system, all
 * threads of the process) per call: on a shared machine the CPU time shows what a step costs when the cores are
 * contended. @param {() => Promise<void>} fn
 */
async function timed(fn) {
  for (let i = 0; i < options.warmup; i++) await fn();
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < options.steps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { wall: times[Math.floor(times.length / 2)] ?? NaN, cpu: (cpu.user + cpu.system) / 1000 / times.length, sys: cpu.system / 1000 / times.length };
}

if (isMainThread) {
  const train = await timed(trainStep);
  const infer = await timed(inferStep);
  for (const worker of workers) await worker.terminate();
  console.log(JSON.stringify({
    train_img_s: (batch * 1000) / train.wall,
    infer_img_s: (batch * 1000) / infer.wall,
    train_ms: train.wall,
    infer_ms: infer.wall,
    train_cpu_ms: train.cpu,
    infer_cpu_ms: infer.cpu,
    train_sys_ms: train.sys,
    infer_sys_ms: infer.sys,
    backend: `${backend.description}${workers.length > 0 ? `, ${workers.length + 1} data-parallel replicas (worker threads)` : ''}`,
  }));
}
