import type { Volume } from '../volume.js';
import { AugmentInputError } from './augmentErrors.js';

/**
 * A batch of 2D slices with their label maps: `count` planes of `height` x `width`, row-major, one channel,
 * planes one after another (N, H, W). The unit that augmentation and training exchange.
 */
export interface SliceBatch {
  readonly images: Float32Array;
  readonly masks: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** One slice and its mask: the `{image, mask}` pair that a keyed transform draws once for. */
export interface SlicePair {
  readonly image: Float32Array;
  readonly mask: Uint8Array;
  readonly height: number;
  readonly width: number;
}

/** Checks that the arrays hold `count` planes of `height` x `width`; names the function at fault. */
export function assertSliceBatch(batch: SliceBatch, caller: string): void {
  const { count, height, width } = batch;
  for (const [name, value] of [['count', count], ['height', height], ['width', width]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new AugmentInputError(`${caller}: batch.${name} must be a non-negative integer, got ${value}`);
  }
  const size = count * height * width;
  if (batch.images.length !== size) throw new AugmentInputError(`${caller}: batch.images holds ${batch.images.length} values, expected ${count}x${height}x${width} = ${size}`);
  if (batch.masks.length !== size) throw new AugmentInputError(`${caller}: batch.masks holds ${batch.masks.length} values, expected ${count}x${height}x${width} = ${size}`);
}

/** Slice `index` of a batch as a pair of views (no copy). */
export function slicePair(batch: SliceBatch, index: number): SlicePair {
  const size = batch.height * batch.width;
  return {
    image: batch.images.subarray(index * size, (index + 1) * size),
    mask: batch.masks.subarray(index * size, (index + 1) * size),
    height: batch.height,
    width: batch.width,
  };
}

/** Stacks pairs of one shape into a batch (copies). */
export function stackSlicePairs(pairs: readonly SlicePair[]): SliceBatch {
  const first = pairs[0];
  const height = first?.height ?? 0;
  const width = first?.width ?? 0;
  const size = height * width;
  const images = new Float32Array(pairs.length * size);
  const masks = new Uint8Array(pairs.length * size);
  pairs.forEach((pair, i) => {
    if (pair.height !== height || pair.width !== width) {
      throw new AugmentInputError(`stackSlicePairs: pair ${i} is ${pair.height}x${pair.width}, expected ${height}x${width}`);
    }
    images.set(pair.image, i * size);
    masks.set(pair.mask, i * size);
  });
  return { images, masks, count: pairs.length, height, width };
}

/**
 * Axial slices `slices` of an image volume and its label map as a batch. A volume's voxels run column fastest,
 * then row, then slice, so each slice is already a row-major (rows x columns) plane.
 */
export function sliceBatchFromVolumes(image: Volume<Float32Array>, mask: Volume<Uint8Array>, slices: readonly number[]): SliceBatch {
  const [width, height, depth] = image.shape;
  if (mask.shape[0] !== width || mask.shape[1] !== height || mask.shape[2] !== depth) {
    throw new AugmentInputError(`sliceBatchFromVolumes: mask shape ${mask.shape.join('x')} differs from image shape ${image.shape.join('x')}`);
  }
  const size = width * height;
  const pairs = slices.map((z) => {
    if (!Number.isInteger(z) || z < 0 || z >= depth) throw new AugmentInputError(`sliceBatchFromVolumes: slice ${z} is outside 0..${depth - 1}`);
    return { image: image.data.subarray(z * size, (z + 1) * size), mask: mask.data.subarray(z * size, (z + 1) * size), height, width };
  });
  const batch = stackSlicePairs(pairs);
  return pairs.length === 0 ? { ...batch, height, width } : batch;
}
