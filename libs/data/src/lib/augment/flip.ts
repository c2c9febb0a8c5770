/** A plane's pixel array: images are Float32Array, label maps Uint8Array. */
export type Plane = Float32Array | Uint8Array;

/** Row axis (0: flips top to bottom) or column axis (1: flips left to right) of a row-major plane. */
export type PlaneAxis = 0 | 1;

/**
 * Mirrors a row-major `height` x `width` plane along `axis` into a new array of the same type. Pixels move
 * exactly (no resampling), so it is safe for label maps.
 */
export function flip<T extends Plane>(plane: T, height: number, width: number, axis: PlaneAxis): T {
  const out = plane.slice() as T;
  if (axis === 0) {
    for (let y = 0; y < height; y++) out.set(plane.subarray((height - 1 - y) * width, (height - y) * width), y * width);
  } else {
    // TypedArray reverse is native: each row of the copy reversed in place.
    for (let y = 0; y < height; y++) out.subarray(y * width, (y + 1) * width).reverse();
  }
  return out;
}
