/**
 * A 2D affine map on pixel coordinates (x = column, y = row, pixel centres at integers):
 * (x, y) -> (a x + b y + c, d x + e y + f), stored as [a, b, c, d, e, f].
 */
export type Affine2d = readonly [number, number, number, number, number, number];

export const identityAffine: Affine2d = [1, 0, 0, 0, 1, 0];

export function applyAffine(m: Affine2d, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** `outer ∘ inner`: apply `inner` first. */
export function composeAffine(outer: Affine2d, inner: Affine2d): Affine2d {
  const [a, b, c, d, e, f] = outer;
  const [p, q, r, s, t, u] = inner;
  return [a * p + b * s, a * q + b * t, a * r + b * u + c, d * p + e * s, d * q + e * t, d * r + e * u + f];
}

export function invertAffine(m: Affine2d): Affine2d {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (det === 0 || !Number.isFinite(det)) throw new RangeError(`invertAffine: matrix [${m.join(', ')}] is singular`);
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** The parameters of one random affine draw. */
export interface AffineParams {
  /** Radians; R = [[cos, -sin], [sin, cos]] in (x, y), i.e. clockwise on screen where rows run downwards. */
  readonly rotation: number;
  /** Zoom factors along x and y (> 1 enlarges the content). */
  readonly scale: readonly [number, number];
  /** Shear factors: x += shear[0] * y, y += shear[1] * x (before rotation). */
  readonly shear: readonly [number, number];
  /** Pixels, applied after rotation and scaling. */
  readonly translation: readonly [number, number];
}

/**
 * The forward map of an affine draw: p -> R Sh S (p - centerIn) + centerOut + translation. Rotating and
 * scaling about a centre keeps the content in view; the output centre differs from the input one after a
 * crop.
 */
export function affineFromParams(params: AffineParams, centerIn: readonly [number, number], centerOut: readonly [number, number]): Affine2d {
  const cos = Math.cos(params.rotation);
  const sin = Math.sin(params.rotation);
  const [sx, sy] = params.scale;
  const [hx, hy] = params.shear;
  // Sh S = [[sx, hx sy], [hy sx, sy]]; then R on the left.
  const m00 = sx;
  const m01 = hx * sy;
  const m10 = hy * sx;
  const m11 = sy;
  const a = cos * m00 - sin * m10;
  const b = cos * m01 - sin * m11;
  const d = sin * m00 + cos * m10;
  const e = sin * m01 + cos * m11;
  const [cx, cy] = centerIn;
  const c = centerOut[0] + params.translation[0] - (a * cx + b * cy);
  const f = centerOut[1] + params.translation[1] - (d * cx + e * cy);
  return [a, b, c, d, e, f];
}
