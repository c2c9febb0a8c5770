// @ts-check
// Augmentation throughput next to the training step's consumption rate (issue 5): `npm run bench:augment`.
//
// Augments batches of 16 real STS tumour slices resized to 256x256 (and 128x128) with each preset and with every
// transform forced on, then times real training steps (MobileNet v1 a0.25 frozen encoder, 256-128-64-32-16
// decoder, batch 8, 128x128, wasm backend: the issue-8 configuration) through `trainUnet` with the default preset
// augmenting each batch in the loop, and reports the share of the step time spent augmenting. Augmentation must
// outrun training, since the training loop augments each batch before its step. Runs on the built dist
// (`npm run build` first, which the npm script does). Single process, one thread for both.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAugmentPipeline, createRng, readNifti, stackSlicePairs, warp } from '@medseg/data';

const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(fileURLToPath(import.meta.url), '../../../shared');
const BATCH = 16;
const MIN_SECONDS = 2;

/** @param {string} id */
async function stsCase(id) {
  const image = await readNifti(join(sharedRoot, `data/sts/nifti/${id}/MR_T1_image.nii.gz`));
  const mask = await readNifti(join(sharedRoot, `data/sts/nifti/${id}/MR_T1_mask.nii.gz`));
  const raw = Float32Array.from(image.data);
  const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
  const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
  return { image: { ...image, data: raw.map((v) => (v - mean) / std) }, mask: { ...mask, data: Uint8Array.from(mask.data) } };
}

/** Tumour slices of the three STS cases, resized to size x size (bilinear image, nearest mask). */
async function tumourSlices(size) {
  const pairs = [];
  for (const id of ['STS_001', 'STS_002', 'STS_003']) {
    const { image, mask } = await stsCase(id);
    const [w, h, d] = image.shape;
    for (let z = 0; z < d; z++) {
      const m = mask.data.subarray(z * w * h, (z + 1) * w * h);
      if (!m.some((v) => v !== 0)) continue;
      const options = { inverse: /** @type {const} */ ([w / size, 0, (0.5 * w) / size - 0.5, 0, h / size, (0.5 * h) / size - 0.5]), outHeight: size, outWidth: size, padding: /** @type {const} */ ('border') };
      pairs.push({
        image: warp(image.data.subarray(z * w * h, (z + 1) * w * h), h, w, { ...options, interpolation: 'bilinear' }),
        mask: warp(m, h, w, { ...options, interpolation: 'nearest' }),
        height: size,
        width: size,
      });
    }
  }
  return pairs;
}

/** Samples per second of `pipeline.apply` over batches of BATCH slices cycling through `pairs`. */
function throughput(pipeline, pairs) {
  const batches = [];
  for (let b = 0; b * BATCH < pairs.length; b++) batches.push(stackSlicePairs(Array.from({ length: BATCH }, (_, i) => pairs[(b * BATCH + i) % pairs.length])));
  const rng = createRng(1);
  pipeline.apply(batches[0], rng.child('warm-up'));
  const times = [];
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < MIN_SECONDS * 1000 || n < 5) {
    const t0 = performance.now();
    pipeline.apply(batches[n % batches.length], rng.child(n));
    times.push(performance.now() - t0);
    n++;
  }
  const seconds = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  return { samplesPerSecond: (n * BATCH) / seconds, medianMsPerBatch: times[Math.floor(times.length / 2)] };
}

/** Every transform on, every time: the worst case per sample. */
const everything = {
  flip: { probability: 1, axes: [0, 1] },
  rotate90: { probability: 1 },
  rotate: { probability: 1, degrees: [-180, 180] },
  scale: { probability: 1, range: [0.7, 1.4] },
  translate: { probability: 1, fraction: [0.1, 0.1] },
  shear: { probability: 1, range: [-0.2, 0.2] },
  elastic: { probability: 1, magnitude: [2, 5], spacing: 32 },
  interpolation: 'bicubic',
  noise: { probability: 1, std: [0, 0.3] },
  blur: { probability: 1, sigma: [0.5, 1.5] },
  brightness: { probability: 1, range: [0.75, 1.25] },
  contrast: { probability: 1, range: [0.75, 1.25] },
  lowResolution: { probability: 1, zoom: [0.5, 1] },
  gamma: { probability: 1, range: [0.7, 1.5] },
};

/**
 * Training images/s of real `trainUnet` steps at 128x128 on the wasm backend, from the time between batch events
 * (the first step, which compiles kernels, is left out). Undefined with the reason when the models library cannot run.
 */
async function trainingRate(pairs128) {
  try {
    // The default preset runs inside the loop, as `medseg train --augment default` would; its time is recorded.
    const pipeline = createAugmentPipeline('default', { seed: 0 });
    const augmentMs = [];
    const { buildUnet, selectBackend, trainUnet } = await import('@medseg/models');
    const backend = await selectBackend('wasm');
    const unet = await buildUnet({ backbone: 'mobilenet_v1_0.25', encoderWeights: 'none', inputSize: 128, decoderFilters: [256, 128, 64, 32, 16], classes: 1, intensityRange: [-2, 4], seed: 0 });
    const count = 40;
    const set = (from, n) => {
      const batch = stackSlicePairs(Array.from({ length: n }, (_, i) => pairs128[(from + i) % pairs128.length]));
      return { ...batch, caseIndex: new Int32Array(n), caseIds: ['STS'] };
    };
    const outDir = mkdtempSync(join(tmpdir(), 'medseg-bench-augment-'));
    const stamps = [];
    try {
      await trainUnet({
        unet,
        train: set(0, count),
        val: set(count, 8),
        outDir,
        settings: { epochs: 1, batchSize: 8, learningRate: 1e-3, encoderLearningRate: 1e-4, loss: 'dice+bce', seed: 0, patience: 5, schedule: 'constant', augment: 'none' },
        augment: (batch, rng) => {
          const t0 = performance.now();
          const out = pipeline.apply(batch, rng);
          augmentMs.push(performance.now() - t0);
          return out;
        },
        onEvent: (event) => {
          if (event.type === 'batch') stamps.push(performance.now());
        },
      });
    } finally {
      rmSync(outDir, { recursive: true, force: true });
      unet.dispose();
    }
    const steps = stamps.length - 1;
    const spanMs = stamps[stamps.length - 1] - stamps[0];
    // Batch b's augmentation runs between batch events b - 1 and b: the steps timed are batches 2..n.
    const augmentShare = augmentMs.slice(1).reduce((a, b) => a + b, 0) / spanMs;
    return { imagesPerSecond: (steps * 8) / (spanMs / 1000), augmentShare, backend: backend.description };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const pairs256 = await tumourSlices(256);
const pairs128 = await tumourSlices(128);
console.log(`augment bench: ${pairs256.length} STS tumour slices, batches of ${BATCH}, node ${process.version}, one thread`);
console.log('| pipeline | 256x256 samples/s | ms/batch of 16 | 128x128 samples/s |');
console.log('| --- | --- | --- | --- |');
const results = {};
for (const [name, config] of [['none', 'none'], ['light', 'light'], ['default', 'default'], ['heavy', 'heavy'], ['every transform, p = 1', everything]]) {
  const pipeline = createAugmentPipeline(/** @type {any} */ (config), { seed: 0 });
  const big = throughput(pipeline, pairs256);
  const small = throughput(pipeline, pairs128);
  results[name] = big;
  console.log(`| ${name} | ${big.samplesPerSecond.toFixed(0)} | ${big.medianMsPerBatch.toFixed(1)} | ${small.samplesPerSecond.toFixed(0)} |`);
}

const training = await trainingRate(pairs128);
const stated = 3.1;
const consumption = 'imagesPerSecond' in training ? training.imagesPerSecond : stated;
if ('imagesPerSecond' in training) {
  console.log(
    `training step (measured, trainUnet with the default preset in the loop): ${training.imagesPerSecond.toFixed(2)} img/s at 128x128, batch 8, ` +
      `${training.backend}; augmentation took ${(100 * training.augmentShare).toFixed(1)}% of the step time`,
  );
} else {
  console.log(`training step: could not measure (${training.error}); using the issue-8 figure of ${stated} img/s (wasm, 128x128)`);
}
const augmentRate = results['default'].samplesPerSecond;
const worst = results['every transform, p = 1'].samplesPerSecond;
console.log(
  `augment: default ${augmentRate.toFixed(0)} samples/s at 256x256 (worst case ${worst.toFixed(0)}) vs training ${consumption.toFixed(2)} img/s: ` +
    `${(augmentRate / consumption).toFixed(0)}x headroom (${(worst / consumption).toFixed(0)}x worst case)`,
);
