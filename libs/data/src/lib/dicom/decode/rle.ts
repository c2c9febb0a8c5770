import type { VoxelArray } from '../../volume.js';
import type { PixelDescription } from '../pixelDescription.js';
import { allocateSamples } from './storedValues.js';

/**
 * Decodes one RLE Lossless frame (PS3.5 annex G): a 64-byte header with up to 15 segment offsets, then one
 * PackBits segment per byte plane, most significant byte first, one sample after another. Returns interleaved
 * samples. Throws a plain Error for corrupt input; the caller adds the file.
 */
export function decodeRle(frame: Uint8Array, pixels: PixelDescription): VoxelArray {
  if (frame.length < 64) throw new Error('RLE frame shorter than its 64-byte header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segmentCount = view.getUint32(0, true);
  const bytesPerSample = Math.max(1, pixels.bitsAllocated / 8);
  const expected = bytesPerSample * pixels.samplesPerPixel;
  if (segmentCount !== expected) throw new Error(`RLE frame has ${segmentCount} segments, expected ${expected}`);
  const pixelCount = pixels.rows * pixels.columns;
  const offsets: number[] = [];
  for (let s = 0; s < segmentCount; s++) offsets.push(view.getUint32(4 + 4 * s, true));
  offsets.push(frame.length);
  if (pixels.bitsAllocated === 1) {
    // One segment of bit-packed pixels, least significant bit first, as in native 1-bit data.
    const packed = new Uint8Array(Math.ceil(pixelCount / 8));
    if (offsets[0]! < 64 || offsets[0]! > frame.length) throw new Error('RLE segment 0 has a bad offset');
    const produced = unpackBits(frame, offsets[0]!, frame.length, packed);
    if (produced < packed.length) throw new Error(`RLE segment 0 decodes to ${produced} bytes, the frame needs ${packed.length}`);
    return unpackBitPlane(packed, pixelCount);
  }
  const planeBytes = new Uint8Array(pixelCount);
  const out = allocateSamples(pixels, pixelCount * pixels.samplesPerPixel);
  const samples = pixels.samplesPerPixel;
  for (let s = 0; s < segmentCount; s++) {
    const start = offsets[s]!;
    const end = Math.min(offsets[s + 1]!, frame.length);
    if (start < 64 || start > frame.length || end < start) throw new Error(`RLE segment ${s} has a bad offset`);
    const produced = unpackBits(frame, start, end, planeBytes);
    if (produced < pixelCount) throw new Error(`RLE segment ${s} decodes to ${produced} bytes, the frame needs ${pixelCount}`);
    // Segment order: for each sample, its bytes from most to least significant.
    const sample = Math.floor(s / bytesPerSample);
    const shift = 8 * (bytesPerSample - 1 - (s % bytesPerSample));
    if (bytesPerSample === 1) {
      for (let i = 0; i < pixelCount; i++) out[i * samples + sample] = planeBytes[i]!;
    } else if (bytesPerSample === 4) {
      for (let i = 0; i < pixelCount; i++) out[i * samples + sample] = (out[i * samples + sample]! + planeBytes[i]! * 2 ** shift) | 0;
    } else {
      for (let i = 0; i < pixelCount; i++) out[i * samples + sample] = out[i * samples + sample]! | (planeBytes[i]! << shift);
    }
  }
  return out;
}

/** 1-bit pixels, least significant bit first (PS3.5 8.1.1), one byte per pixel. */
export function unpackBitPlane(packed: Uint8Array, count: number, firstBit = 0): Uint8Array {
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const bit = firstBit + i;
    out[i] = (packed[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/**
 * PackBits (TIFF / PS3.5 G.3.1) from `data[start, end)` into `out`. Returns the bytes it produced: fewer than
 * `out.length` means the segment is short (corrupt), which the caller reports rather than zero-filling.
 */
function unpackBits(data: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let src = start;
  let dst = 0;
  const length = out.length;
  while (src < end && dst < length) {
    const header = data[src++]!;
    if (header < 128) {
      const count = Math.min(header + 1, length - dst, end - src);
      out.set(data.subarray(src, src + count), dst);
      src += header + 1;
      dst += count;
    } else if (header > 128) {
      const count = Math.min(257 - header, length - dst);
      if (src >= end) break;
      out.fill(data[src++]!, dst, dst + count);
      dst += count;
    }
    // 128 is a no-op.
  }
  if (dst < length) out.fill(0, dst);
  return dst;
}
