import type { VoxelArray } from '../../volume.js';

/** The linear modality LUT (PS3.3 C.11.1): output = stored * slope + intercept (Hounsfield units for CT). */
export interface Rescale {
  readonly slope: number;
  readonly intercept: number;
}

export const identityRescale: Rescale = { slope: 1, intercept: 0 };

/** Whether a rescale maps integers to integers. */
export function isIntegerRescale(rescale: Rescale): boolean {
  return Number.isInteger(rescale.slope) && Number.isInteger(rescale.intercept);
}

/** Range of `samples * slope + intercept`. */
export function rescaledRange(samples: VoxelArray, rescale: Rescale): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (samples.length === 0) return [0, 0];
  const a = min * rescale.slope + rescale.intercept;
  const b = max * rescale.slope + rescale.intercept;
  return a <= b ? [a, b] : [b, a];
}

/** Writes `samples * slope + intercept` into `out` from `offset`; integer outputs must be able to hold the values. */
export function applyModalityLut(samples: VoxelArray, rescale: Rescale, out: VoxelArray, offset = 0): void {
  const { slope, intercept } = rescale;
  const n = samples.length;
  if (slope === 1 && intercept === 0) {
    out.set(samples, offset);
    return;
  }
  for (let i = 0; i < n; i++) out[offset + i] = samples[i]! * slope + intercept;
}

/** The smallest output array the contract allows for values in [min, max]: 16-bit integers when they fit, else float32. */
export function allocateForRange(length: number, min: number, max: number, integer: boolean): Int16Array | Uint16Array | Float32Array {
  if (integer && min >= -32768 && max <= 32767) return new Int16Array(length);
  if (integer && min >= 0 && max <= 65535) return new Uint16Array(length);
  return new Float32Array(length);
}
