import { createRng } from '../random.js';

/*
 * Intensity transforms of an image plane: pure functions that return a new array and never see the mask. The
 * formulas follow nnU-Net's batchgenerators (multiplicative brightness, mean-preserving contrast clipped to the
 * original range, gamma on the min-max rescaled image) so that presets mean what their users expect.
 */

function minMax(image: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Brightness: every value times `factor`. */
export function scaleIntensity(image: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = image[i]! * factor;
  return out;
}

/** Contrast: stretches values about their mean by `factor`, then clips to the original [min, max]. */
export function adjustContrast(image: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(image.length);
  if (image.length === 0) return out;
  let sum = 0;
  for (let i = 0; i < image.length; i++) sum += image[i]!;
  const mean = sum / image.length;
  const [min, max] = minMax(image);
  for (let i = 0; i < image.length; i++) {
    const v = (image[i]! - mean) * factor + mean;
    out[i] = v < min ? min : v > max ? max : v;
  }
  return out;
}

/** Gamma: `((x - min) / (max - min)) ** gamma` mapped back to [min, max]; a constant image is unchanged. */
export function adjustGamma(image: Float32Array, gamma: number): Float32Array {
  const [min, max] = minMax(image);
  const range = max - min;
  if (!(range > 0)) return image.slice();
  const out = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) out[i] = Math.pow((image[i]! - min) / range, gamma) * range + min;
  return out;
}

/**
 * Adds independent N(0, std²) noise per pixel. The noise comes from its own generator seeded by `noiseSeed`, so a
 * draw is plain data ({ std, noiseSeed }) and replays exactly.
 */
export function addGaussianNoise(image: Float32Array, std: number, noiseSeed: number): Float32Array {
  const rng = createRng(noiseSeed);
  const out = new Float32Array(image.length);
  // Box-Muller, both outputs of each pair used: the same sequence as rng.normal(), without a call per value.
  const n = image.length;
  for (let i = 0; i < n; i += 2) {
    let u = 0;
    while (u === 0) u = rng.next();
    const r = std * Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rng.next();
    out[i] = image[i]! + r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = image[i + 1]! + r * Math.sin(t);
  }
  return out;
}
