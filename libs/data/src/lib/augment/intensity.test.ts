import { beforeAll, describe, expect, it } from 'vitest';
import { numpyOnPlane as numpy, readStsSlice } from '../../testing.js';
import { gaussianBlur } from './gaussianBlur.js';
import { addGaussianNoise, adjustContrast, adjustGamma, scaleIntensity } from './intensity.js';
import { simulateLowResolution } from './lowResolution.js';


function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

let image: Float32Array;
let height: number;
let width: number;

beforeAll(async () => {
  let raw: Float32Array;
  ({ image: raw, width, height } = await readStsSlice('STS_002', 17));
  // z-score the slice as ingest does, so the magnitudes match those the presets assume.
  const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
  const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
  image = raw.map((v) => (v - mean) / std);
});

describe('intensity transforms on a real slice', async () => {
  it('brightness, contrast and gamma match their numpy closed forms', async () => {
    expect(maxAbsDiff(scaleIntensity(image, 1.2), await numpy(image, height, width, 'a * 1.2'))).toBeLessThan(1e-5);
    expect(maxAbsDiff(adjustContrast(image, 1.3), await numpy(image, height, width, 'np.clip((a - a.mean()) * 1.3 + a.mean(), a.min(), a.max())'))).toBeLessThan(1e-4);
    expect(maxAbsDiff(adjustContrast(image, 0.7), await numpy(image, height, width, '(a - a.mean()) * 0.7 + a.mean()'))).toBeLessThan(1e-4);
    for (const gamma of [0.7, 1.5]) {
      const expected = await numpy(image, height, width, `((a - a.min()) / (a.max() - a.min())) ** ${gamma} * (a.max() - a.min()) + a.min()`);
      expect(maxAbsDiff(adjustGamma(image, gamma), expected)).toBeLessThan(1e-4);
    }
  });

  it('blurs exactly as scipy.ndimage.gaussian_filter(mode="nearest", truncate=3)', async () => {
    for (const sigma of [0.5, 1, 1.5]) {
      const expected = await numpy(image, height, width, `ndimage.gaussian_filter(a, ${sigma}, mode='nearest', truncate=3.0)`);
      expect(maxAbsDiff(gaussianBlur(image, height, width, sigma), expected)).toBeLessThan(1e-4);
    }
  });

  it('adds zero-mean noise of the requested standard deviation, repeatable from its seed', async () => {
    const noisy = addGaussianNoise(image, 0.3, 11);
    expect(noisy).toEqual(addGaussianNoise(image, 0.3, 11));
    expect(noisy).not.toEqual(addGaussianNoise(image, 0.3, 12));
    const n = image.length;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const d = noisy[i]! - image[i]!;
      sum += d;
      sumSq += d * d;
    }
    // n ≈ 10,000: the sample mean's standard error is 0.003 and the sample std's about 0.002.
    expect(Math.abs(sum / n)).toBeLessThan(0.015);
    expect(Math.abs(Math.sqrt(sumSq / n) - 0.3)).toBeLessThan(0.012);
  });

  it('simulates low resolution: identity at zoom 1, blocky-then-smooth at 0.5, values within the original range', async () => {
    expect(simulateLowResolution(image, height, width, 1)).toEqual(image);
    const low = simulateLowResolution(image, height, width, 0.5);
    const [min, max] = [Math.min(...image), Math.max(...image)];
    expect(low.every((v) => v >= min - 1e-5 && v <= max + 1e-5)).toBe(true);
    // Losing detail: the high-frequency energy (differences between neighbours) drops.
    const roughness = (p: Float32Array) => p.reduce((s, v, i) => (i % width === 0 ? s : s + Math.abs(v - p[i - 1]!)), 0);
    expect(roughness(low)).toBeLessThan(0.8 * roughness(image));
    // At zoom 1/2 on an even-sized plane, low-res pixel j takes full-res pixel 2j + 1 (nearest to its centre
    // 2j + 0.5, rounding half up), and the way back is scipy's pixel-centre-aligned linear zoom.
    const [h, w] = [80, 100];
    const even = new Float32Array(h * w);
    for (let y = 0; y < h; y++) even.set(image.subarray(y * width, y * width + w), y * w);
    const expected = await numpy(even, h, w, "ndimage.zoom(a[1::2, 1::2], 2, order=1, mode='nearest', grid_mode=True)");
    expect(maxAbsDiff(simulateLowResolution(even, h, w, 0.5), expected)).toBeLessThan(1e-4);
  });
});
