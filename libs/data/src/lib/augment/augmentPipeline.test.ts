import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../testing.js';
import { readNifti } from '../nifti/readNifti.js';
import { createRng } from '../random.js';
import type { Volume } from '../volume.js';
import { applyAffine } from './affine2d.js';
import { augmentPresets, validateAugmentConfig, type AugmentConfig } from './augmentConfig.js';
import { AugmentConfigError } from './augmentErrors.js';
import { createAugmentPipeline } from './augmentPipeline.js';
import { PairedTransform } from './pairedTransform.js';
import { randFlip, randRotate90 } from './planeTransforms.js';
import { sliceBatchFromVolumes, slicePair, type SliceBatch, type SlicePair } from './sliceBatch.js';
import { randSpatial } from './spatialTransform.js';

async function stsCase(id: string): Promise<{ image: Volume<Float32Array>; mask: Volume<Uint8Array> }> {
  const image = await readNifti(sharedPath(`data/sts/nifti/${id}/MR_T1_image.nii.gz`));
  const mask = await readNifti(sharedPath(`data/sts/nifti/${id}/MR_T1_mask.nii.gz`));
  // z-score the volume as `medseg ingest` does, so preset intensities have their intended size.
  const raw = Float32Array.from(image.data);
  const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
  const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
  return { image: { ...image, data: raw.map((v) => (v - mean) / std) }, mask: { ...mask, data: Uint8Array.from(mask.data) } };
}

/** Centroid (x, y) of the non-zero pixels of a mask plane. */
function centroid(mask: Uint8Array, width: number): [number, number, number] {
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    sx += i % width;
    sy += Math.floor(i / width);
    n++;
  }
  return [sx / n, sy / n, n];
}

const bytes = (batch: SliceBatch): Buffer =>
  Buffer.concat([Buffer.from(batch.images.buffer, batch.images.byteOffset, batch.images.byteLength), Buffer.from(batch.masks)]);

// Real slices through the tumour of three STS patients (slices with and without foreground).
let sts1: SliceBatch;
let sts2: SliceBatch;
let sts3: SliceBatch;

beforeAll(async () => {
  const [a, b, c] = await Promise.all([stsCase('STS_001'), stsCase('STS_002'), stsCase('STS_003')]);
  sts1 = sliceBatchFromVolumes(a.image, a.mask, [20, 28, 35, 1]);
  sts2 = sliceBatchFromVolumes(b.image, b.mask, [12, 17, 22]);
  sts3 = sliceBatchFromVolumes(c.image, c.mask, [15, 20, 26]);
});

describe('createAugmentPipeline on real STS slices', () => {
  it('gives identical bytes for the same seed and different bytes for another seed, and never touches its input', () => {
    const before = bytes(sts1);
    for (const preset of ['light', 'default', 'heavy'] as const) {
      const pipeline = createAugmentPipeline(preset, { seed: 1 });
      const first = pipeline.apply(sts1, createRng(42));
      const again = createAugmentPipeline(preset, { seed: 1 }).apply(sts1, createRng(42));
      expect(bytes(again).equals(bytes(first))).toBe(true);
      expect(bytes(pipeline.apply(sts1, createRng(43))).equals(bytes(first))).toBe(false);
    }
    // Without an explicit generator, call n draws from the pipeline's seed: repeatable across pipelines.
    const p1 = createAugmentPipeline('heavy', { seed: 5 });
    const p2 = createAugmentPipeline('heavy', { seed: 5 });
    const call1 = p1.apply(sts2);
    expect(bytes(p2.apply(sts2)).equals(bytes(call1))).toBe(true);
    expect(bytes(p1.apply(sts2)).equals(bytes(call1))).toBe(false);
    expect(bytes(createAugmentPipeline('heavy', { seed: 6 }).apply(sts2)).equals(bytes(call1))).toBe(false);
    expect(bytes(sts1).equals(before)).toBe(true);
  });

  it("'none' returns the batch unchanged", () => {
    const out = createAugmentPipeline('none', { seed: 0 }).apply(sts3, createRng(1));
    expect(bytes(out).equals(bytes(sts3))).toBe(true);
  });

  it('keeps only the labels a mask had (a 3-label map through the heavy preset, bicubic images)', () => {
    // Split the tumour into labels 1 and 3 by column, so nearest-neighbour must keep both and invent no 2.
    const masks = Uint8Array.from(sts1.masks, (v, i) => (v === 0 ? 0 : i % sts1.width < 80 ? 3 : 1));
    const batch = { ...sts1, masks };
    const pipeline = createAugmentPipeline('heavy', { seed: 3 });
    const seen = new Set<number>();
    for (let round = 0; round < 8; round++) for (const v of pipeline.apply(batch, createRng(round)).masks) seen.add(v);
    expect([...seen].sort()).toEqual([0, 1, 3]);
  });

  it('leaves masks byte-identical under every intensity transform while changing the image, at any intensity scale', () => {
    const config: AugmentConfig = {
      noise: { probability: 1, std: [0.1, 0.3] },
      blur: { probability: 1, sigma: [0.5, 1.5] },
      brightness: { probability: 1, range: [0.75, 1.25] },
      contrast: { probability: 1, range: [0.75, 1.25] },
      lowResolution: { probability: 1, zoom: [0.5, 0.9] },
      gamma: { probability: 1, range: [0.7, 1.5] },
    };
    for (const batch of [sts1, sts2, sts3]) {
      const out = createAugmentPipeline(config, { seed: 9 }).apply(batch, createRng(2));
      expect(Buffer.from(out.masks).equals(Buffer.from(batch.masks))).toBe(true);
      expect(Buffer.from(out.images.buffer).equals(Buffer.from(batch.images.buffer))).toBe(false);
    }
    // Every intensity transform is scale-free (noise relative to the slice's spread), so the same draws on an
    // image ten times brighter give exactly ten times the result: presets mean the same under any normalisation.
    const scaled = { ...sts2, images: sts2.images.map((v) => v * 10) };
    const out = createAugmentPipeline(config, { seed: 9 }).apply(sts2, createRng(5));
    const outScaled = createAugmentPipeline(config, { seed: 9 }).apply(scaled, createRng(5));
    let worst = 0;
    for (let i = 0; i < out.images.length; i++) worst = Math.max(worst, Math.abs(outScaled.images[i]! - 10 * out.images[i]!));
    expect(worst).toBeLessThan(1e-3);
  });

  it("moves the mask's centroid exactly where the drawn affine sends the original centroid", () => {
    const spatial = randSpatial({
      rotate: { probability: 1, degrees: [-40, 40] },
      scale: { probability: 1, range: [0.8, 1.25], isotropic: false },
      translate: { probability: 1, fraction: [0.08, 0.08] },
      shear: { probability: 1, range: [-0.1, 0.1] },
    })!;
    const paired = new PairedTransform(spatial);
    let checked = 0;
    for (const batch of [sts1, sts2, sts3]) {
      for (let i = 0; i < batch.count; i++) {
        const pair = slicePair(batch, i);
        const [cx, cy, n] = centroid(pair.mask, pair.width);
        if (n < 200) continue;
        for (let seed = 0; seed < 4; seed++) {
          const draw = spatial.draw(createRng(seed), pair)!;
          const out = paired.applyDraw(pair, draw);
          const [ox, oy, m] = centroid(out.mask, out.width);
          const [px, py] = applyAffine(draw.forward, cx, cy);
          // Area scales with the determinant (the tumour stays inside the slice at these ranges) ...
          const det = draw.forward[0] * draw.forward[4] - draw.forward[1] * draw.forward[3];
          expect(Math.abs(m / n - det)).toBeLessThan(0.05 * det);
          // ... and the centroid maps as the affine predicts, within nearest-neighbour sampling error.
          expect(Math.hypot(ox - px, oy - py)).toBeLessThan(0.5);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(24);
  });

  it('keeps image and mask aligned through flips, quarter turns, affine and elastic deformation', () => {
    // An image that is its own mask (x100): the augmented image, thresholded, must match the augmented mask.
    const images = Float32Array.from(sts3.masks, (v) => v * 100);
    const config: AugmentConfig = {
      flip: { probability: 0.5, axes: [0, 1] },
      rotate90: { probability: 1 },
      rotate: { probability: 1, degrees: [-180, 180] },
      scale: { probability: 1, range: [0.8, 1.2] },
      elastic: { probability: 1, magnitude: [3, 5], spacing: 24 },
    };
    const out = createAugmentPipeline(config, { seed: 4 }).apply({ ...sts3, images }, createRng(8));
    let foreground = 0;
    let disagree = 0;
    for (let i = 0; i < out.masks.length; i++) {
      if (out.masks[i] !== 0) foreground++;
      if ((out.images[i]! >= 50 ? 1 : 0) !== out.masks[i]) disagree++;
    }
    expect(foreground).toBeGreaterThan(1000);
    // Bilinear-then-threshold and nearest neighbour may differ only on boundary pixels.
    expect(disagree).toBeLessThan(0.03 * foreground);
  });

  it('flipping twice and turning four times with one draw give back the pair, image and mask', () => {
    const pair: SlicePair = slicePair(sts2, 1);
    const flipd = new PairedTransform(randFlip({ probability: 1, axes: [0, 1] }));
    const axes = flipd.transform.draw(createRng(1), pair)!;
    expect(axes).toEqual([0, 1]);
    const twice = flipd.applyDraw(flipd.applyDraw(pair, axes), axes);
    expect(twice.image).toEqual(pair.image);
    expect(twice.mask).toEqual(pair.mask);
    const square = slicePair(sliceBatchFromVolumes(
      { data: pair.image.subarray(0, 90 * 90), shape: [90, 90, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
      { data: pair.mask.subarray(0, 90 * 90), shape: [90, 90, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
      [0],
    ), 0);
    const turn = new PairedTransform(randRotate90({ probability: 1 }));
    let current = square;
    for (let i = 0; i < 4; i++) current = turn.applyDraw(current, 1);
    expect(current.image).toEqual(square.image);
    expect(current.mask).toEqual(square.mask);
    // A non-square slice only ever turns by 180 degrees, so the batch keeps its shape.
    expect(turn.transform.draw(createRng(3), pair)).toBe(2);
  });

  it('crops around the foreground: every crop holds tumour and is an exact window of the slice', () => {
    const pipeline = createAugmentPipeline({ crop: { size: [64, 48], foregroundProbability: 1 } }, { seed: 1 });
    const batch = sliceBatchFromVolumes(
      { data: sts1.images, shape: [sts1.width, sts1.height, sts1.count], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
      { data: sts1.masks, shape: [sts1.width, sts1.height, sts1.count], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] },
      [0, 1, 2],
    );
    for (let round = 0; round < 5; round++) {
      const out = pipeline.apply(batch, createRng(round));
      expect([out.count, out.height, out.width]).toEqual([3, 64, 48]);
      for (let i = 0; i < 3; i++) {
        const crop = slicePair(out, i);
        expect(crop.mask.some((v) => v !== 0)).toBe(true);
        // Find the window: the crop's top-left pixel must match the source at one integer offset for every pixel.
        const source = slicePair(batch, i);
        let found = false;
        for (let y0 = 0; y0 <= source.height - 64 && !found; y0++) {
          for (let x0 = 0; x0 <= source.width - 48 && !found; x0++) {
            let same = true;
            for (let y = 0; y < 64 && same; y++) {
              for (let x = 0; x < 48; x++) {
                if (crop.image[y * 48 + x] !== source.image[(y + y0) * source.width + x + x0] || crop.mask[y * 48 + x] !== source.mask[(y + y0) * source.width + x + x0]) {
                  same = false;
                  break;
                }
              }
            }
            found = same;
          }
        }
        expect(found).toBe(true);
      }
    }
  });

  it('rejects unknown presets, unknown keys and out-of-range values with AugmentConfigError naming the field', () => {
    // Every preset is itself a valid config and survives a JSON round trip (what a saved run config holds).
    for (const preset of Object.values(augmentPresets)) expect(validateAugmentConfig(JSON.parse(JSON.stringify(preset)))).toEqual(preset);
    expect(() => createAugmentPipeline('wild' as 'none', { seed: 1 })).toThrow(AugmentConfigError);
    expect(() => createAugmentPipeline({ flipp: { probability: 1 } } as AugmentConfig, { seed: 1 })).toThrow(/flipp/);
    expect(() => createAugmentPipeline({ rotate: { probability: 1.5, degrees: [0, 1] } }, { seed: 1 })).toThrow(/rotate\.probability/);
    expect(() => createAugmentPipeline({ gamma: { probability: 1, range: [2, 1] } }, { seed: 1 })).toThrow(/gamma\.range/);
    expect(() => createAugmentPipeline({ crop: { size: [64.5, 3], foregroundProbability: 1 } }, { seed: 1 })).toThrow(/crop\.size/);
    expect(() => createAugmentPipeline('default', { seed: 1 }).apply({ ...sts1, count: 5 })).toThrow(/batch\.images/);
  });
});
