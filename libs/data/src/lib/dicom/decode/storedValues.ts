import type { VoxelArray } from '../../volume.js';
import type { PixelDescription } from '../pixelDescription.js';

/** The typed array that holds one frame of stored values for this pixel description. */
export function allocateSamples(pixels: PixelDescription, length: number): VoxelArray {
  const signed = pixels.pixelRepresentation === 1;
  switch (pixels.bitsAllocated) {
    case 1:
      return new Uint8Array(length);
    case 8:
      return signed ? new Int8Array(length) : new Uint8Array(length);
    case 16:
      return signed ? new Int16Array(length) : new Uint16Array(length);
    case 32:
      return signed ? new Int32Array(length) : new Uint32Array(length);
    default:
      return new Float64Array(length);
  }
}

/**
 * Views little-endian sample bytes as the frame's typed array (a copy, so the result owns aligned memory).
 * `bigEndian` swaps 16/32-bit words first, for OW pixel data in explicit VR big endian files.
 */
export function samplesFromBytes(pixels: PixelDescription, bytes: Uint8Array, float: boolean, bigEndian = false): VoxelArray {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const bytesPerSample = pixels.bitsAllocated / 8;
  if (bigEndian && bytesPerSample > 1) {
    for (let i = 0; i + bytesPerSample <= copy.length; i += bytesPerSample) copy.subarray(i, i + bytesPerSample).reverse();
  }
  const signed = pixels.pixelRepresentation === 1;
  const count = Math.floor(copy.length / bytesPerSample);
  switch (pixels.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(copy.buffer, 0, count) : copy;
    case 16:
      return signed ? new Int16Array(copy.buffer, 0, count) : new Uint16Array(copy.buffer, 0, count);
    case 32:
      if (float) return new Float32Array(copy.buffer, 0, count);
      return signed ? new Int32Array(copy.buffer, 0, count) : new Uint32Array(copy.buffer, 0, count);
    default:
      return new Float64Array(copy.buffer, 0, count);
  }
}

/**
 * Applies BitsStored in place: bits above it are not part of the value (they may hold overlays), and signed values
 * are sign-extended from bit BitsStored-1, as PS3.5 8.1.1 defines.
 */
export function applyBitsStored(samples: VoxelArray, pixels: PixelDescription): VoxelArray {
  const { bitsStored, bitsAllocated } = pixels;
  if (bitsStored >= bitsAllocated || bitsAllocated > 32 || samples instanceof Float32Array || samples instanceof Float64Array) {
    return samples;
  }
  const n = samples.length;
  if (pixels.pixelRepresentation === 1) {
    const shift = 32 - bitsStored;
    for (let i = 0; i < n; i++) samples[i] = (samples[i]! << shift) >> shift;
  } else {
    const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
    for (let i = 0; i < n; i++) samples[i] = (samples[i]! & mask) >>> 0;
  }
  return samples;
}
