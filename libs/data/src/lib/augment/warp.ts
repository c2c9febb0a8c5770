import type { Affine2d } from './affine2d.js';
import type { Plane } from './flip.js';

/** A smooth displacement in output pixels, one vector per output pixel (row-major). */
export interface DisplacementField {
  readonly dx: Float32Array;
  readonly dy: Float32Array;
}

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic';

/** Outside the input: `zeros` reads the fill value (0 for masks: background), `border` repeats the edge. */
export type Padding = 'zeros' | 'border';

export interface WarpOptions {
  /** Output pixel (x, y) -> input coordinates (the inverse of the forward transform, as resamplers take it). */
  readonly inverse: Affine2d;
  /** Added to each output coordinate before `inverse`: elastic deformation folded into the same pass. */
  readonly field?: DisplacementField | undefined;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly interpolation: Interpolation;
  readonly padding: Padding;
  /** Value read outside the input with `zeros` padding (default 0). */
  readonly fill?: number;
}

/** Catmull-Rom (Keys, a = -0.5) weights for offsets -1, 0, 1, 2 at fraction t: reproduces quadratics. */
function cubicWeights(t: number, w: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = -0.5 * t3 + t2 - 0.5 * t;
  w[1] = 1.5 * t3 - 2.5 * t2 + 1;
  w[2] = -1.5 * t3 + 2 * t2 + 0.5 * t;
  w[3] = 0.5 * t3 - 0.5 * t2;
}

/**
 * Resamples a row-major `height` x `width` plane onto an `outHeight` x `outWidth` grid: each output pixel reads
 * the input at `inverse(p + field(p))`. Label maps must use `nearest`, which copies existing values and so never
 * invents a label; images use `bilinear` or `bicubic` (whose overshoot is kept, as in other resamplers).
 * Returns a new array of the input's type.
 */
export function warp<T extends Plane>(plane: T, height: number, width: number, options: WarpOptions): T {
  const { inverse, field, outHeight, outWidth, interpolation, padding } = options;
  const fill = options.fill ?? 0;
  const [a, b, c, d, e, f] = inverse;
  const out = new (plane.constructor as new (length: number) => T)(outHeight * outWidth);
  const border = padding === 'border';
  const maxX = width - 1;
  const maxY = height - 1;
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);

  // Reads one input pixel with the padding rule; only used on the slow path near the edges.
  const at = (x: number, y: number): number => {
    if (x >= 0 && x <= maxX && y >= 0 && y <= maxY) return plane[y * width + x]!;
    if (!border) return fill;
    const cx = x < 0 ? 0 : x > maxX ? maxX : x;
    const cy = y < 0 ? 0 : y > maxY ? maxY : y;
    return plane[cy * width + cx]!;
  };

  // One loop per interpolation, so the per-pixel work has no mode branch; the source position of output pixel
  // (x, y) is inverse(x + dx, y + dy), added to the field when there is one.
  const dx = field?.dx;
  const dy = field?.dy;
  let i = 0;
  if (interpolation === 'nearest') {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++, i++) {
        const u = dx ? x + dx[i]! : x;
        const v = dy ? y + dy[i]! : y;
        // Round half up, like floor(s + 0.5); a tiny epsilon absorbs float error on exact half-pixel maps.
        const sx = Math.floor(a * u + b * v + c + 0.5 + 1e-9);
        const sy = Math.floor(d * u + e * v + f + 0.5 + 1e-9);
        out[i] = sx >= 0 && sx <= maxX && sy >= 0 && sy <= maxY ? plane[sy * width + sx]! : at(sx, sy);
      }
    }
  } else if (interpolation === 'bilinear') {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++, i++) {
        const u = dx ? x + dx[i]! : x;
        const v = dy ? y + dy[i]! : y;
        const sx = a * u + b * v + c;
        const sy = d * u + e * v + f;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        let p00: number, p01: number, p10: number, p11: number;
        if (x0 >= 0 && x0 < maxX && y0 >= 0 && y0 < maxY) {
          const k = y0 * width + x0;
          p00 = plane[k]!;
          p01 = plane[k + 1]!;
          p10 = plane[k + width]!;
          p11 = plane[k + width + 1]!;
        } else {
          p00 = at(x0, y0);
          p01 = at(x0 + 1, y0);
          p10 = at(x0, y0 + 1);
          p11 = at(x0 + 1, y0 + 1);
        }
        const top = p00 + (p01 - p00) * fx;
        const bottom = p10 + (p11 - p10) * fx;
        out[i] = top + (bottom - top) * fy;
      }
    }
  } else {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++, i++) {
        const u = dx ? x + dx[i]! : x;
        const v = dy ? y + dy[i]! : y;
        const sx = a * u + b * v + c;
        const sy = d * u + e * v + f;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        cubicWeights(sx - x0, wx);
        cubicWeights(sy - y0, wy);
        let sum = 0;
        if (x0 >= 1 && x0 < maxX - 1 && y0 >= 1 && y0 < maxY - 1) {
          let k = (y0 - 1) * width + x0 - 1;
          for (let r = 0; r < 4; r++, k += width) {
            sum += wy[r]! * (wx[0]! * plane[k]! + wx[1]! * plane[k + 1]! + wx[2]! * plane[k + 2]! + wx[3]! * plane[k + 3]!);
          }
        } else {
          for (let r = 0; r < 4; r++) {
            const yy = y0 - 1 + r;
            sum += wy[r]! * (wx[0]! * at(x0 - 1, yy) + wx[1]! * at(x0, yy) + wx[2]! * at(x0 + 1, yy) + wx[3]! * at(x0 + 2, yy));
          }
        }
        out[i] = sum;
      }
    }
  }
  return out;
}
