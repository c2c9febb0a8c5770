import type { Volume } from '@medseg/data';
import { resizeNearest } from './resize.js';
import { inputChannels, volumeSliceStack } from './slice-context.js';

/** Slices of several cases resampled to one square size: the unit training and validation work on. */
export interface SliceSet {
  /** [count, height, width], row-major; with context slices [count, height, width, channels], channels last. */
  readonly images: Float32Array;
  /** [count, height, width]: the centre slice's labels. */
  readonly masks: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  /** Input channels per pixel (1, or 3 with one context slice each side). */
  readonly channels: number;
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
 * interpolated linearly), with `contextSlices` neighbours each side as channels (see volumeSliceStack).
 * Volumes are column fastest, so a slice is already a row-major image.
 */
export function buildSliceSet(cases: readonly SliceCase[], size: number, contextSlices = 0): SliceSet {
  const count = cases.reduce((sum, c) => sum + c.image.shape[2], 0);
  const plane = size * size;
  const channels = inputChannels(contextSlices);
  const images = new Float32Array(count * plane * channels);
  const masks = new Uint8Array(count * plane);
  const caseIndex = new Int32Array(count);
  let n = 0;
  cases.forEach((c, ci) => {
    const [w, h, d] = c.image.shape;
    images.set(volumeSliceStack(c.image, size, contextSlices), n * plane * channels);
    for (let z = 0; z < d; z++, n++) {
      resizeNearest(c.mask.data.subarray(z * w * h, (z + 1) * w * h), w, h, size, size, masks.subarray(n * plane, (n + 1) * plane));
      caseIndex[n] = ci;
    }
  });
  return { images, masks, count, height: size, width: size, channels, caseIndex, caseIds: cases.map((c) => c.id) };
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
