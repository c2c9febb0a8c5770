import { beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '@medseg/data';
import { selectBackend } from './backend/selectBackend.js';
import { predictSlices, probabilitiesToLabels } from './predict-slices.js';
import { predictVolume } from './predict-volume.js';
import { syntheticSliceSet } from '../testing/synthetic-slices.js';
import { buildUnet, type Unet } from './unet.js';

let unet: Unet;
let other: Unet;

beforeAll(async () => {
  await selectBackend('wasm');
  // A random network with a low threshold still gives a non-trivial label map to compare.
  unet = await buildUnet({ backbone: 'mobilenet_v1_0.25', encoderWeights: 'none', inputSize: 64, decoderFilters: [8, 8, 8, 8, 8], intensityRange: [0, 1], seed: 2 });
  other = await buildUnet({ backbone: 'mobilenet_v1_0.25', encoderWeights: 'none', inputSize: 64, decoderFilters: [8, 8, 8, 8, 8], intensityRange: [0, 1], seed: 3 });
});

const geometry = { spacing: [0.8, 0.9, 3] as const, origin: [10, -20, 5] as const, direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] as const };

describe('predictVolume', () => {
  it('on the network grid equals thresholded slice predictions; with TTA it is flip-equivariant', async () => {
    const set = syntheticSliceSet({ cases: 1, perCase: 3, size: 64, seed: 4 });
    const image: Volume<Float32Array> = { data: set.images, shape: [64, 64, 3], ...geometry };
    const probs = await predictSlices(unet, set.images, 3);
    const median = Float32Array.from(probs).sort()[probs.length >> 1]!;
    const labels = await predictVolume(unet, image, { threshold: median });
    expect(Array.from(labels.data)).toEqual(Array.from(probabilitiesToLabels(probs, 1, median)));
    expect(labels.data.some((v) => v === 1) && labels.data.some((v) => v === 0)).toBe(true);

    // TTA averages over flips, so flipping the input left-right flips the output (up to float rounding).
    const flipped = new Float32Array(set.images.length);
    for (let row = 0; row < 3 * 64; row++) for (let x = 0; x < 64; x++) flipped[row * 64 + x] = set.images[row * 64 + 63 - x]!;
    const a = await predictSlices(unet, set.images, 3, { tta: true });
    const b = await predictSlices(unet, flipped, 3, { tta: true });
    let worst = 0;
    for (let row = 0; row < 3 * 64; row++) for (let x = 0; x < 64; x++) worst = Math.max(worst, Math.abs(a[row * 64 + x]! - b[row * 64 + 63 - x]!));
    expect(worst).toBeLessThan(1e-4);
  });

  it('returns a label map on the source grid of a non-square volume, and largest-component cleanup keeps one blob', async () => {
    const [w, h, d] = [90, 70, 4];
    const data = new Float32Array(w * h * d);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 1000) / 1000;
    const image: Volume<Float32Array> = { data, shape: [w, h, d], ...geometry };
    const labels = await predictVolume(unet, image, { threshold: 0.3, largestComponent: true });
    expect(labels.shape).toEqual([w, h, d]);
    expect(labels.spacing).toEqual(geometry.spacing);
    expect(labels.origin).toEqual(geometry.origin);
    expect(labels.data.length).toBe(w * h * d);
    const raw = await predictVolume(unet, image, { threshold: 0.3 });
    const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    expect(count(labels.data)).toBeLessThanOrEqual(count(raw.data));
    for (let i = 0; i < raw.data.length; i++) if (labels.data[i]) expect(raw.data[i]).toBe(1);
  });

  it('ensembles by averaging the members\' probabilities: a model with itself is the model, two differ from either', async () => {
    const set = syntheticSliceSet({ cases: 1, perCase: 3, size: 64, seed: 5 });
    const image: Volume<Float32Array> = { data: set.images, shape: [64, 64, 3], ...geometry };
    const a = await predictSlices(unet, set.images, 3);
    const b = await predictSlices(other, set.images, 3);
    const mean = a.map((p, i) => (p + b[i]!) / 2);
    const threshold = Float32Array.from(mean).sort()[mean.length >> 1]!;
    const ensemble = await predictVolume([unet, other], image, { threshold });
    expect(Array.from(ensemble.data)).toEqual(Array.from(probabilitiesToLabels(mean, 1, threshold)));
    expect(ensemble.data).not.toEqual(probabilitiesToLabels(a, 1, threshold));
    expect(ensemble.data).not.toEqual(probabilitiesToLabels(b, 1, threshold));
    expect((await predictVolume([unet, unet], image, { threshold })).data).toEqual((await predictVolume(unet, image, { threshold })).data);

    const threeClasses = await buildUnet({ backbone: 'mobilenet_v1_0.25', encoderWeights: 'none', inputSize: 64, decoderFilters: [8, 8, 8, 8, 8], classes: 3, intensityRange: [0, 1], seed: 3 });
    await expect(predictVolume([unet, threeClasses], image)).rejects.toThrow(/member 2 predicts 3 class\(es\), member 1 1/);
    threeClasses.dispose();
  });
});
