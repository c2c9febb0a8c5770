/**
 * Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
 * Functions", 2012): for every voxel, the squared distance in millimetres to the nearest non-zero voxel of
 * `features`, with anisotropic `spacing`. Separable: a 1D lower envelope of parabolas along each axis in turn,
 * so it is exact and linear in the number of voxels. Voxels with no feature anywhere get +Infinity.
 *
 * This is what `scipy.ndimage.distance_transform_edt(~features, sampling=spacing) ** 2` returns, which MONAI uses
 * for surface distances. `dimensions` 2 leaves the slice axis out (each slice on its own).
 */
export function squaredDistanceTransform(
  features: ArrayLike<number>,
  shape: readonly [number, number, number],
  spacing: readonly [number, number, number],
  dimensions: 2 | 3 = shape[2] === 1 ? 2 : 3,
): Float64Array {
  return transformInPlace(features, shape, spacing, dimensions, undefined);
}

/**
 * The squared distance transform where only some voxels' values are needed (`needed` non-zero): the last pass
 * runs only on the lines through a needed voxel, so other voxels may hold partial values. Exact where needed.
 */
export function squaredDistanceTransformAt(
  features: ArrayLike<number>,
  needed: ArrayLike<number>,
  shape: readonly [number, number, number],
  spacing: readonly [number, number, number],
  dimensions: 2 | 3 = shape[2] === 1 ? 2 : 3,
): Float64Array {
  return transformInPlace(features, shape, spacing, dimensions, needed);
}

function transformInPlace(
  features: ArrayLike<number>,
  shape: readonly [number, number, number],
  spacing: readonly [number, number, number],
  dimensions: 2 | 3,
  needed: ArrayLike<number> | undefined,
): Float64Array {
  const [nx, ny, nz] = shape;
  const plane = nx * ny;
  const d = new Float64Array(plane * nz);
  const longest = Math.max(nx, ny, nz);
  const work: Workspace = {
    f: new Float64Array(longest),
    out: new Float64Array(longest),
    v: new Int32Array(longest),
    z: new Float64Array(longest + 1),
  };
  // Columns: on a binary input the 1D transform is the distance to the nearest feature in the row, which two
  // sweeps find without the parabola envelope.
  const sx2 = spacing[0] * spacing[0];
  const sliceHasFeature = new Uint8Array(nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = nx * (y + ny * z);
      let last = -1;
      for (let x = 0; x < nx; x++) {
        if (features[row + x] !== 0) last = x;
        d[row + x] = last < 0 ? Infinity : (x - last) * (x - last) * sx2;
      }
      if (last < 0) continue;
      sliceHasFeature[z] = 1;
      let next = -1;
      for (let x = nx - 1; x >= 0; x--) {
        if (features[row + x] !== 0) next = x;
        if (next >= 0) {
          const dn = (next - x) * (next - x) * sx2;
          if (dn < d[row + x]!) d[row + x] = dn;
        }
      }
    }
  }
  // Rows (stride nx, within one slice: cache-friendly). In 2D this is the last pass: only the lines through a
  // needed voxel matter.
  const last = dimensions === 2 || nz === 1;
  const lineNeeded = new Uint8Array(nx);
  for (let z = 0; z < nz; z++) {
    if (!sliceHasFeature[z]) continue;
    lineNeeded.fill(last && needed !== undefined ? 0 : 1);
    if (last && needed !== undefined) {
      for (let i = plane * z, y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) if (needed[i] !== 0) lineNeeded[x] = 1;
    }
    for (let x = 0; x < nx; x++) if (lineNeeded[x]) transformLine(d, x + plane * z, nx, ny, spacing[1], work);
  }
  if (last) return d;
  // Slices: gather each (x, z) plane so that z runs contiguously, transform the lines that matter, scatter back.
  const buffer = new Float64Array(nx * nz);
  const wanted = new Uint8Array(nx);
  for (let y = 0; y < ny; y++) {
    let any = needed === undefined;
    wanted.fill(needed === undefined ? 1 : 0);
    if (needed !== undefined) {
      for (let z = 0; z < nz; z++) {
        const base = nx * (y + ny * z);
        for (let x = 0; x < nx; x++) if (needed[base + x] !== 0) wanted[x] = 1;
      }
      any = wanted.includes(1);
    }
    if (!any) continue;
    for (let z = 0; z < nz; z++) {
      const base = nx * (y + ny * z);
      for (let x = 0; x < nx; x++) buffer[x * nz + z] = d[base + x]!;
    }
    for (let x = 0; x < nx; x++) if (wanted[x]) transformLine(buffer, x * nz, 1, nz, spacing[2], work);
    for (let z = 0; z < nz; z++) {
      const base = nx * (y + ny * z);
      for (let x = 0; x < nx; x++) if (wanted[x]) d[base + x] = buffer[x * nz + z]!;
    }
  }
  return d;
}

/** Euclidean distance transform in millimetres: the square root of `squaredDistanceTransform`. */
export function distanceTransform(
  features: ArrayLike<number>,
  shape: readonly [number, number, number],
  spacing: readonly [number, number, number],
  dimensions: 2 | 3 = shape[2] === 1 ? 2 : 3,
): Float64Array {
  const d = squaredDistanceTransform(features, shape, spacing, dimensions);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]!);
  return d;
}

interface Workspace {
  f: Float64Array;
  out: Float64Array;
  v: Int32Array;
  z: Float64Array;
}

/**
 * One line: out(p) = min_q ((p - q)·step)² + f(q). Infinite samples never enter the envelope, so a line with
 * no finite sample stays infinite and no large sentinel can distort an intersection.
 */
function transformLine(d: Float64Array, start: number, stride: number, n: number, step: number, work: Workspace): void {
  const { f, out, v, z } = work;
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = d[start + q * stride]!;
    f[q] = fq;
    if (fq === Infinity) continue;
    const pq = q * step;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s = 0;
    for (;;) {
      const r = v[k]!;
      const pr = r * step;
      // Where the parabola rooted at q overtakes the one rooted at r (positions in millimetres).
      s = (fq + pq * pq - (f[r]! + pr * pr)) / (2 * (pq - pr));
      if (s <= z[k]!) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return;
  k = 0;
  for (let p = 0; p < n; p++) {
    const pp = p * step;
    while (z[k + 1]! < pp) k++;
    const r = v[k]!;
    const dx = pp - r * step;
    out[p] = dx * dx + f[r]!;
  }
  for (let p = 0; p < n; p++) d[start + p * stride] = out[p]!;
}
