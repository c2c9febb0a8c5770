import type { VoxelArray } from '../../volume.js';

/** Colour-by-plane (RR..GG..BB..) to colour-by-pixel (RGBRGB...), into a new array of the same type. */
export function planarToInterleaved<T extends VoxelArray>(samples: T, pixelCount: number, samplesPerPixel: number): T {
  const out = new (samples.constructor as new (n: number) => T)(samples.length);
  for (let s = 0; s < samplesPerPixel; s++) {
    const plane = s * pixelCount;
    for (let i = 0; i < pixelCount; i++) out[i * samplesPerPixel + s] = samples[plane + i]!;
  }
  return out;
}

// numpy's around(): round half to even, so that our RGB equals pydicom's convert_color_space bit for bit.
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * YCbCr full range (PS3.3 C.7.6.3.1.2, ITU-R BT.601 without head/foot room) to RGB, in place on interleaved
 * 8-bit samples, with the coefficients pydicom and GDCM use.
 */
export function ybrFullToRgb(samples: VoxelArray): VoxelArray {
  const crToR = 1.402;
  const cbToG = (-0.114 * 1.772) / 0.587;
  const crToG = (-0.299 * 1.402) / 0.587;
  const cbToB = 1.772;
  for (let i = 0; i + 2 < samples.length; i += 3) {
    const y = samples[i]!;
    const cb = samples[i + 1]! - 128;
    const cr = samples[i + 2]! - 128;
    const r = y + cb * 0 + cr * crToR;
    const g = y + cb * cbToG + cr * crToG;
    const b = y + cb * cbToB + cr * 0;
    samples[i] = Math.min(255, Math.max(0, roundHalfEven(r)));
    samples[i + 1] = Math.min(255, Math.max(0, roundHalfEven(g)));
    samples[i + 2] = Math.min(255, Math.max(0, roundHalfEven(b)));
  }
  return samples;
}

/**
 * Uncompressed YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair, PS3.3 C.7.6.3.1.2) to full YBR, each chroma pair shared by
 * the two pixels of a row.
 */
export function expandYbr422(bytes: Uint8Array, rows: number, columns: number): Uint8Array {
  const out = new Uint8Array(rows * columns * 3);
  let src = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c += 2) {
      const y1 = bytes[src]!;
      const y2 = bytes[src + 1]!;
      const cb = bytes[src + 2]!;
      const cr = bytes[src + 3]!;
      src += 4;
      const o = (r * columns + c) * 3;
      out[o] = y1;
      out[o + 1] = cb;
      out[o + 2] = cr;
      if (c + 1 < columns) {
        out[o + 3] = y2;
        out[o + 4] = cb;
        out[o + 5] = cr;
      }
    }
  }
  return out;
}
