// The GPU device check of issue 21, one process, three checks (bench/gpu/README.md):
//   grad   one training step of the STS-sized U-Net (MobileNet v1 a0.25, default decoder, 128x128, real STS slices)
//          on --backend and on --reference, same weights and batch: each gradient within --grad-tolerance
//          (relative L2 error), and the loss;
//   speed  training and inference images/s at --sizes, batch --batch, on --backend (the PyTorch peer is
//          speed_torch_cuda.py, run beside it by run-device.sh);
//   sts    a short real STS training (--epochs) on --backend: validation Dice per epoch, and tf.memory() after each
//          epoch (tensors and, on webgpu, GPU bytes) to show it stays flat; compared with --reference-curve when
//          given (a wasm run of the same settings, written here by `build-bundle.mjs`).
// Locally (no GPU): `node bench/gpu/device-check.mjs --backend wasm --reference cpu ...` runs the same code.
// It is also the entry of the carried bundle (build-bundle.mjs), where it runs from bench/gpu/bundle.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  activateWebgpuBackend,
  batchGradients,
  buildUnet,
  defaultDecoderFilters,
  FlatAdamOptimizer,
  intensityRange,
  loadDatasetSlices,
  predictSlices,
  segmentationLoss,
  selectBackend,
  trainableVariables,
  trainUnet,
} from '@medseg/models';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'webgpu' },
    reference: { type: 'string', default: 'cpu' },
    checks: { type: 'string', default: 'grad,speed,sts' },
    data: { type: 'string' },
    weights: { type: 'string' },
    out: { type: 'string' },
    'grad-size': { type: 'string', default: '128' },
    'grad-batch': { type: 'string', default: '2' },
    'grad-tolerance': { type: 'string', default: '1e-3' },
    // A second implementation checked against --reference on the same batch: the float32 floor of the comparison.
    floor: { type: 'string', default: 'wasm' },
    sizes: { type: 'string', default: '128,256' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '4' },
    'sts-size': { type: 'string', default: '128' },
    'sts-batch': { type: 'string', default: '16' },
    'reference-curve': { type: 'string' },
    'curve-tolerance': { type: 'string', default: '0.05' },
    'write-curve': { type: 'string' },
    // Dawn's own options, comma-separated (adapter=NAME, backend=vulkan; backend=null only proves the bundle loads).
    'dawn-flags': { type: 'string', default: '' },
  },
});
if (args.data === undefined || args.weights === undefined) throw new Error('device-check: --data DATASET and --weights MOBILENET_DIR are required');
const checks = new Set(args.checks.split(','));
const out = args.out ?? mkdtempSync(join(tmpdir(), 'medseg-gpu-'));
mkdirSync(out, { recursive: true });
const results = { backend: args.backend, reference: args.reference, node: process.version, tfjs: tf.version_core, checks: {} };
let failed = false;
const log = (line) => process.stdout.write(`${line}\n`);

/** Makes `name` the active backend. webgpu goes through activateWebgpuBackend with its packages imported by name
 * here, so that a bundler bundles tfjs-backend-webgpu with the same tfjs-core (Dawn's dawn.node stays external). */
async function useBackend(name) {
  if (name === 'webgpu') {
    const adapter = await activateWebgpuBackend({
      dawnFlags: args['dawn-flags'].split(',').filter((f) => f !== ''),
      modules: { dawn: () => import('webgpu'), tfjsWebgpu: () => import('@tensorflow/tfjs-backend-webgpu') },
    });
    return `webgpu on ${[adapter.description, adapter.vendor, adapter.architecture].filter((s) => s !== '').join(', ')}`;
  }
  return (await selectBackend(name)).description;
}

const memory = () => {
  const m = tf.memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes, ...(m.numBytesInGPU === undefined ? {} : { numBytesInGPU: m.numBytesInGPU, numBytesInGPUAllocated: m.numBytesInGPUAllocated }) };
};

const unetOptions = (size, range) => ({
  backbone: 'mobilenet_v1_0.25',
  encoderWeights: args.weights,
  inputSize: size,
  decoderFilters: defaultDecoderFilters,
  intensityRange: range,
  seed: 1,
});

async function gradCheck() {
  const size = Number(args['grad-size']);
  const n = Number(args['grad-batch']);
  const tolerance = Number(args['grad-tolerance']);
  const referenceName = await useBackend(args.reference);
  const train = await loadDatasetSlices(args.data, 'train', size);
  // The n slices with the most tumour: a batch whose loss and gradients are not dominated by empty masks.
  const plane = size * size;
  const foreground = Array.from({ length: train.count }, (_, i) => {
    let f = 0;
    for (let p = i * plane; p < (i + 1) * plane; p++) f += train.masks[p] ?? 0;
    return [f, i];
  }).sort((a, b) => b[0] - a[0]).slice(0, n).map(([, i]) => i);
  const images = new Float32Array(n * plane);
  const masks = new Uint8Array(n * plane);
  foreground.forEach((slice, k) => {
    images.set(train.images.subarray(slice * plane, (slice + 1) * plane), k * plane);
    masks.set(train.masks.subarray(slice * plane, (slice + 1) * plane), k * plane);
  });
  const batch = { images, masks, count: n, height: size, width: size };
  const unet = await buildUnet(unetOptions(size, intensityRange(train.images)));
  const loss = segmentationLoss('dice+bce');
  const gradients = async () => {
    const { value, grads } = tf.tidy(() => batchGradients(unet, loss, batch));
    const names = Object.keys(grads).sort();
    const read = { loss: (await value.data())[0], grads: {} };
    for (const name of names) read.grads[name] = await grads[name].data();
    tf.dispose([value, ...Object.values(grads)]);
    return read;
  };
  const t0 = performance.now();
  const expected = await gradients();
  const referenceMs = performance.now() - t0;
  const floorName = args.floor === args.backend ? undefined : await useBackend(args.floor);
  const floorRun = floorName === undefined ? undefined : await gradients();
  const backendName = await useBackend(args.backend); // the variables move to the backend with their values
  await gradients(); // warm-up: shader compilation
  const t1 = performance.now();
  const actual = await gradients();
  const backendMs = performance.now() - t1;
  const compared = compare(expected, actual);
  const floor = floorRun === undefined ? undefined : { backend: floorName, ...compare(expected, floorRun) };
  // Pass: within the tolerance, or within twice what another correct implementation (wasm) differs by on this batch:
  // a deep BN over few values makes the gradients ill-conditioned, and two CPU backends already differ by ~1e-3.
  const bound = Math.max(tolerance, 2 * (floor?.relative ?? 0));
  const pass = compared.relative <= bound && compared.loss.relative <= bound;
  failed ||= !pass;
  unet.decoder.dispose();
  return {
    pass, bound, size, batch: n, tolerance, reference: referenceName, backend: backendName,
    variables: Object.keys(expected.grads).length, trainable: trainableVariables(unet).length,
    ...compared, floor, referenceMs, backendMs,
  };
}

/** Relative L2 errors of `actual` against `expected`: all the gradients together, each variable, and the loss. */
function compare(expected, actual) {
  // Relative L2 errors: of all the gradients together (the pass criterion), and of each variable (reported: a
  // variable whose gradient is a sum with heavy cancellation, such as a deep BN's gamma, differs by a few 1e-3
  // even between two CPU backends, wasm against cpu).
  let diffAll = 0;
  let normAll = 0;
  const perVariable = [];
  for (const [name, want] of Object.entries(expected.grads)) {
    const got = actual.grads[name];
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < want.length; i++) {
      diff += (got[i] - want[i]) ** 2;
      norm += want[i] ** 2;
    }
    diffAll += diff;
    normAll += norm;
    perVariable.push({ name, relative: Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30) });
  }
  perVariable.sort((a, b) => (b.relative > a.relative || Number.isNaN(b.relative) ? 1 : -1));
  const relative = Math.sqrt(diffAll) / Math.sqrt(normAll);
  const lossRelative = Math.abs(actual.loss - expected.loss) / Math.abs(expected.loss);
  return {
    relative,
    loss: { reference: expected.loss, backend: actual.loss, relative: lossRelative },
    worst: perVariable.slice(0, 5),
    median: perVariable[Math.floor(perVariable.length / 2)],
  };
}

async function speedCheck() {
  const description = await useBackend(args.backend);
  const batch = Number(args.batch);
  const steps = Number(args.steps);
  const warmup = Number(args.warmup);
  const rows = [];
  for (const size of args.sizes.split(',').map(Number)) {
    const unet = await buildUnet(unetOptions(size, [0, 1]));
    const optimizer = new FlatAdamOptimizer(1e-3);
    const loss = segmentationLoss('dice+bce');
    const x = tf.randomUniform([batch, size, size], 0, 1, 'float32', 1);
    const y = tf.randomUniform([batch, size, size], 0, 1, 'float32', 2).round();
    const images = await x.data();
    const masks = Uint8Array.from(await y.data());
    tf.dispose([x, y]);
    const trainingBatch = { images, masks, count: batch, height: size, width: size };
    const trainStep = async () => {
      const value = tf.tidy(() => {
        const { value, grads } = batchGradients(unet, loss, trainingBatch);
        optimizer.applyGradients(grads);
        return value;
      });
      await value.data(); // waits for the GPU
      value.dispose();
    };
    const inferStep = async () => {
      await predictSlices(unet, images, batch, { batchSize: batch });
    };
    const timed = async (fn) => {
      for (let i = 0; i < warmup; i++) await fn();
      const times = [];
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        await fn();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return times[Math.floor(times.length / 2)];
    };
    const before = memory();
    const trainMs = await timed(trainStep);
    const inferMs = await timed(inferStep);
    const after = memory();
    rows.push({ size, batch, train_img_s: (batch * 1000) / trainMs, infer_img_s: (batch * 1000) / inferMs, train_ms: trainMs, infer_ms: inferMs, tensorsBefore: before.numTensors, tensorsAfter: after.numTensors });
    optimizer.dispose();
    unet.decoder.dispose();
    log(`speed ${size}x${size} batch ${batch}: train ${rows.at(-1).train_img_s.toFixed(1)} img/s, infer ${rows.at(-1).infer_img_s.toFixed(1)} img/s`);
  }
  return { backend: description, steps, warmup, rows };
}

async function stsCheck() {
  const description = await useBackend(args.backend);
  const size = Number(args['sts-size']);
  const epochs = Number(args.epochs);
  const train = await loadDatasetSlices(args.data, 'train', size);
  const val = await loadDatasetSlices(args.data, 'val', size);
  const unet = await buildUnet(unetOptions(size, intensityRange(train.images)));
  const settings = {
    epochs, batchSize: Number(args['sts-batch']), learningRate: 3e-3, encoderLearningRate: 1e-5, loss: 'dice+bce', seed: 1,
    patience: epochs, schedule: 'cosine', augment: 'none', batchNormRecalibration: 512,
  };
  const runDir = mkdtempSync(join(tmpdir(), 'medseg-gpu-sts-'));
  const curve = [];
  const started = performance.now();
  try {
    await trainUnet({
      unet, train, val, outDir: runDir, settings,
      onEvent: (event) => {
        if (event.type !== 'epoch') return;
        curve.push({ epoch: event.epoch, loss: event.loss, valDiceSlice: event.valDiceSlice, valDicePatient: event.valDicePatient, seconds: event.seconds, memory: memory() });
        log(`sts epoch ${event.epoch}/${epochs}: loss ${event.loss.toFixed(4)}, val Dice per patient ${event.valDicePatient.toFixed(3)}, ${event.seconds.toFixed(1)} s, tensors ${tf.memory().numTensors}`);
      },
    });
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  // Flat memory: from the second epoch on (the first fills the buffer pools), the same number of tensors, and on
  // webgpu no growth of the GPU buffers allocated beyond 5%.
  const later = curve.slice(1);
  const tensorsFlat = later.every((e) => e.memory.numTensors === later[0].memory.numTensors);
  const gpu = later.map((e) => e.memory.numBytesInGPUAllocated).filter((b) => b !== undefined);
  const gpuFlat = gpu.length < 2 || gpu.at(-1) <= gpu[0] * 1.05;
  const result = { backend: description, size, train: { slices: train.count, cases: train.caseIds.length }, val: { slices: val.count, cases: val.caseIds.length }, settings, seconds: (performance.now() - started) / 1000, curve, memoryFlat: tensorsFlat && gpuFlat };
  if (args['write-curve'] !== undefined) writeFileSync(args['write-curve'], `${JSON.stringify(result, null, 2)}\n`);
  if (args['reference-curve'] !== undefined) {
    const reference = JSON.parse(readFileSync(args['reference-curve'], 'utf8'));
    const tolerance = Number(args['curve-tolerance']);
    const differences = curve.map((e, i) => Math.abs(e.valDicePatient - (reference.curve[i]?.valDicePatient ?? Number.NaN)));
    result.comparedWith = { backend: reference.backend, tolerance, differences, pass: differences.every((d) => d <= tolerance) };
    failed ||= !result.comparedWith.pass;
  }
  failed ||= !result.memoryFlat;
  return result;
}

const runners = { grad: gradCheck, speed: speedCheck, sts: stsCheck };
for (const name of ['grad', 'speed', 'sts']) {
  if (!checks.has(name)) continue;
  try {
    results.checks[name] = await runners[name]();
    log(`${name}: ${JSON.stringify(results.checks[name]).slice(0, 600)}`);
  } catch (error) {
    failed = true;
    results.checks[name] = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    log(`${name}: FAILED ${results.checks[name].error}`);
  }
  writeFileSync(join(out, 'device-check.json'), `${JSON.stringify(results, null, 2)}\n`);
}
log(`device-check: ${failed ? 'FAIL' : 'ok'} (${join(out, 'device-check.json')})`);
process.exitCode = failed ? 1 : 0;
