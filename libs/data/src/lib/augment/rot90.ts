import type { Plane } from './flip.js';

/**
 * Rotates a row-major `height` x `width` plane by `k` quarter turns counter-clockwise as displayed (row 0 at
 * the top), numpy's `rot90(plane, k)`. Odd `k` swaps height and width. Pixels move exactly.
 */
export function rot90<T extends Plane>(plane: T, height: number, width: number, k: number): { data: T; height: number; width: number } {
  const turns = ((Math.trunc(k) % 4) + 4) % 4;
  const out = plane.slice() as T;
  if (turns === 0) return { data: out, height, width };
  if (turns === 2) {
    const last = height * width - 1;
    for (let i = 0; i <= last; i++) out[i] = plane[last - i]!;
    return { data: out, height, width };
  }
  // Output is width x height. numpy rot90 k=1: out[i, j] = in[j, W-1-i]; k=3: out[i, j] = in[H-1-j, i].
  for (let i = 0; i < width; i++) {
    const row = i * height;
    if (turns === 1) for (let j = 0; j < height; j++) out[row + j] = plane[j * width + (width - 1 - i)]!;
    else for (let j = 0; j < height; j++) out[row + j] = plane[(height - 1 - j) * width + i]!;
  }
  return { data: out, height: width, width: height };
}
