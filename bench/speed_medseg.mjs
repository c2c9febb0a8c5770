// @ts-check
// One medseg measurement for `npm run bench:speed` (bench/speed.mjs runs it in a fresh process per size):
// the U-Net of @medseg/models (MobileNet v1 a0.25 frozen encoder, U-Net decoder) on the wasm backend, timed
// for a training step exactly as trainUnet takes it (frozen encoder features computed outside the tape in
// inference mode, variableGrads over the decoder, Adam) and for inference (encoder + decoder, inference mode).
// Prints one JSON line: {"train_img_s", "infer_img_s", "train_ms", "infer_ms", "backend"}.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { buildUnet, segmentationLoss, selectBackend } from '@medseg/models';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    batch: { type: 'string', default: '8' },
    filters: { type: 'string', default: '256,128,64,32,16' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const size = Number(values.size);
const batch = Number(values.batch);
const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(fileURLToPath(import.meta.url), '../../../shared');

const backend = await selectBackend(/** @type {import('@medseg/models').BackendChoice} */ (values.backend));
const unet = await buildUnet({
  backbone: 'mobilenet_v1_0.25',
  encoderWeights: resolve(sharedRoot, 'weights/mobilenet_v1_0.25_224'),
  inputSize: size,
  decoderFilters: String(values.filters).split(',').map(Number),
  seed: 1,
});
const lossFn = segmentationLoss('dice+bce');
const decoderVars = unet.decoderVariables();
const optimizer = tf.train.adam(1e-3);
// Same data for every step: speed does not depend on the values (no data-dependent kernels in the network).
const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 1);
const y = tf.randomUniform([batch, size, size, 1], 0, 1, 'float32', 2).round();

function trainStep() {
  const loss = tf.tidy(() => {
    const features = unet.encode(/** @type {tf.Tensor4D} */ (x));
    const { value, grads } = tf.variableGrads(() => lossFn(/** @type {tf.Tensor4D} */ (y), /** @type {tf.Tensor4D} */ (unet.decoder.apply(features, { training: true }))), decoderVars);
    optimizer.applyGradients(grads);
    return value;
  });
  loss.dataSync();
  loss.dispose();
}

function inferStep() {
  const out = tf.tidy(() => /** @type {tf.Tensor} */ (unet.decoder.apply(unet.encode(/** @type {tf.Tensor4D} */ (x)), { training: false })));
  out.dataSync();
  out.dispose();
}

/** Median wall time of `steps` calls after `warmup` calls, in ms. @param {() => void} fn */
function timed(fn) {
  for (let i = 0; i < Number(values.warmup); i++) fn();
  const times = [];
  for (let i = 0; i < Number(values.steps); i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

const trainMs = timed(trainStep);
const inferMs = timed(inferStep);
console.log(JSON.stringify({ train_img_s: (batch * 1000) / trainMs, infer_img_s: (batch * 1000) / inferMs, train_ms: trainMs, infer_ms: inferMs, backend: backend.description }));
