import type { Volume } from '@medseg/data';
import { resizeBilinear, resizeNearest } from './resize.js';

/** Slices of several cases resampled to one square size: the unit training and validation work on. */
export interface SliceSet {
  /** [count, height, width], row-major. */
  readonly images: Float32Array;
  readonly masks: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** Index into `caseIds` of each slice. */
  readonly caseIndex: Int32Array;
  readonly caseIds: readonly string[];
}

export interface SliceCase {
  readonly id: string;
  readonly image: Volume<Float32Array>;
  readonly mask: Volume<Uint8Array>;
}

/**
 * Every axial slice of every case, resized to size x size (bilinear image, nearest mask; masks are never
 * interpolated linearly). Volumes are column fastest, so a slice is already a row-major image.
 */
export function buildSliceSet(cases: readonly SliceCase[], size: number): SliceSet {
  const count = cases.reduce((sum, c) => sum + c.image.shape[2], 0);
  const plane = size * size;
  const images = new Float32Array(count * plane);
  const masks = new Uint8Array(count * plane);
  const caseIndex = new Int32Array(count);
  let n = 0;
  cases.forEach((c, ci) => {
    const [w, h, d] = c.image.shape;
    for (let z = 0; z < d; z++, n++) {
      resizeBilinear(c.image.data.subarray(z * w * h, (z + 1) * w * h), w, h, size, size, images.subarray(n * plane, (n + 1) * plane));
      resizeNearest(c.mask.data.subarray(z * w * h, (z + 1) * w * h), w, h, size, size, masks.subarray(n * plane, (n + 1) * plane));
      caseIndex[n] = ci;
    }
  });
  return { images, masks, count, height: size, width: size, caseIndex, caseIds: cases.map((c) => c.id) };
}

/**
 * The 0.5th and 99.5th percentiles of the intensities (every 7th value, which is plenty): the range mapped
 * to 0..255 before the ImageNet scaling, robust to a few extreme voxels.
 */
export function intensityRange(images: Float32Array): [number, number] {
  const sample = new Float32Array(Math.ceil(images.length / 7));
  for (let i = 0, j = 0; i < images.length; i += 7, j++) sample[j] = images[i]!;
  sample.sort();
  const at = (q: number) => sample[Math.min(sample.length - 1, Math.floor(q * (sample.length - 1)))]!;
  const low = at(0.005);
  const high = at(0.995);
  return high > low ? [low, high] : [low, low + 1];
}
