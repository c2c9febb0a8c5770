// @ts-check
// One medseg measurement for `npm run bench:speed` (bench/speed.mjs runs it in a fresh process per size):
// the U-Net of @medseg/models (frozen ImageNet encoder, `--encoder NAME`, default the registry's; U-Net decoder) on the wasm backend, timed
// for a training step exactly as trainUnet takes it (batchGradients: frozen encoder features outside the tape in
// inference mode, variableGrads over the decoder; then FlatAdamOptimizer) and for inference (predictSlices).
//
// --workers N > 1 measures the data parallelism of `medseg train/predict --workers N` (tfjs-backend-wasm runs one
// thread per instance under Node): N - 1 replicas in worker threads (createReplicaPool) share each batch with
// the main thread, which applies the share-weighted mean gradient (parallelBatchGradients); inference shares the
// slices (predictSlicesParallel).
// --engine onnx measures inference through ONNX Runtime (the graph `medseg export` writes, `predict --engine onnx`
// runs) with --workers intra-op threads, and a training step whose frozen encoder forward runs in ONNX Runtime
// (the encoder-only graph) while the decoder's forward and backward stay in tfjs (one thread).
// Prints one JSON line: {"train_img_s", "infer_img_s", "train_ms", "infer_ms", "train_cpu_ms", ...}.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  batchGradients,
  buildUnet,
  createOnnxEngine,
  encodeOnnxModel,
  loadOnnxRuntime,
  unetOnnxGraph,
  createReplicaPool,
  defaultBackboneName,
  FlatAdamOptimizer,
  parallelBatchGradients,
  predictSlices,
  predictSlicesParallel,
  segmentationLoss,
  selectBackend,
} from '@medseg/models';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    batch: { type: 'string', default: '8' },
    filters: { type: 'string', default: '256,128,64,32,16' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
    workers: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'tfjs' },
    encoder: { type: 'string', default: defaultBackboneName },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
const workers = Number(values.workers);
const warmup = Number(values.warmup);
const steps = Number(values.steps);
const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(fileURLToPath(import.meta.url), '../../../shared');

const backend = await selectBackend(/** @type {import('@medseg/models').BackendChoice} */ (values.backend));
const unet = await buildUnet({
  backbone: String(values.encoder),
  // The ImageNet weights from ../shared/weights, found by the registry's folder names.
  encoderWeights: 'imagenet',
  weightsOptions: { weightsDir: resolve(sharedRoot, 'weights') },
  inputSize: size,
  decoderFilters: String(values.filters).split(',').map(Number),
  intensityRange: [0, 1],
  seed: 1,
});
const lossFn = segmentationLoss('dice+bce');
const optimizer = new FlatAdamOptimizer(1e-3);
const onnx = values.engine === 'onnx';
const replicas = workers > 1 && !onnx ? await createReplicaPool(unet, { replicas: workers - 1, backend: backend.name, loss: 'dice+bce' }) : undefined;
// Same data for every step: speed does not depend on the values (no data-dependent kernels in the network).
// Grey slices, as trainUnet and predictSlices hand them to the network.
const images = /** @type {Float32Array} */ (tf.randomUniform([batch, size, size], 0, 1, 'float32', 1).dataSync());
const masks = Uint8Array.from(tf.randomUniform([batch, size, size], 0, 1, 'float32', 2).round().dataSync());
const trainingBatch = { images, masks, count: batch, height: size, width: size };

const engine = onnx ? await createOnnxEngine({ model: encodeOnnxModel(unetOnnxGraph(unet)), config: unet.config, threads: workers, source: 'bench' }) : undefined;
const ort = onnx ? await loadOnnxRuntime() : undefined;
const encoderSession = ort === undefined
  ? undefined
  : await ort.InferenceSession.create(encodeOnnxModel(unetOnnxGraph(unet, { part: 'features' })), { intraOpNumThreads: workers, interOpNumThreads: 1, graphOptimizationLevel: 'all' });

/** A training step with the frozen encoder forward in ONNX Runtime, the decoder in tfjs (as batchGradients does it). */
async function onnxEncoderTrainStep() {
  if (ort === undefined || encoderSession === undefined) throw new Error('no ONNX Runtime');
  const result = await encoderSession.run({ slices: new ort.Tensor('float32', images, [batch, size, size, 1]) });
  const grads = tf.tidy(() => {
    const features = encoderSession.outputNames.map((name) => {
      const t = /** @type {import('onnxruntime-node').Tensor} */ (result[name]);
      return tf.tensor4d(/** @type {Float32Array} */ (t.data), /** @type {[number, number, number, number]} */ (t.dims.map(Number)));
    });
    const y = tf.tensor4d(Float32Array.from(masks), [batch, size, size, 1]);
    const { value, grads: g } = tf.variableGrads(() => lossFn(y, /** @type {tf.Tensor4D} */ (unet.decoder.apply(features, { training: true }))), unet.decoderVariables());
    value.dataSync();
    return g;
  });
  optimizer.applyGradients(/** @type {any} */ (grads));
  tf.dispose(Object.values(grads));
}

async function trainStep() {
  if (onnx) return onnxEncoderTrainStep();
  const grads = replicas === undefined
    ? tf.tidy(() => {
        const { value, grads: g } = batchGradients(unet, lossFn, trainingBatch);
        value.dataSync();
        return g;
      })
    : (await parallelBatchGradients(unet, lossFn, trainingBatch, replicas)).grads;
  optimizer.applyGradients(/** @type {any} */ (grads));
  tf.dispose(Object.values(grads));
}

async function inferStep() {
  if (engine !== undefined) await engine.predictSlices(images, batch, { batchSize: batch });
  else if (replicas === undefined) predictSlices(unet, images, batch, { batchSize: batch });
  else await predictSlicesParallel(unet, replicas, images, batch, { batchSize: batch });
}

/**
 * Median wall time of `steps` calls after `warmup` calls, in ms, and the mean CPU time (user + system, all
 * threads of the process) per call: on a shared machine the CPU time shows what a step costs when the cores are
 * contended. @param {() => Promise<void>} fn
 */
async function timed(fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { wall: times[Math.floor(times.length / 2)] ?? NaN, cpu: (cpu.user + cpu.system) / 1000 / times.length, sys: cpu.system / 1000 / times.length };
}

const train = await timed(trainStep);
const infer = await timed(inferStep);
await replicas?.close();
await engine?.dispose();
await encoderSession?.release();
console.log(JSON.stringify({
  train_img_s: (batch * 1000) / train.wall,
  infer_img_s: (batch * 1000) / infer.wall,
  train_ms: train.wall,
  infer_ms: infer.wall,
  train_cpu_ms: train.cpu,
  infer_cpu_ms: infer.cpu,
  train_sys_ms: train.sys,
  infer_sys_ms: infer.sys,
  encoder: values.encoder,
  backend: onnx ? `${engine?.description}; train: encoder in ONNX Runtime, decoder on ${backend.description}` : `${backend.description}${replicas === undefined ? '' : `, ${workers} data-parallel workers (main thread + ${workers - 1} replica threads)`}`,
}));
