/**
 * The q-th percentile (0..100) of `values` with linear interpolation between the two nearest ranks, computed
 * as numpy's default `np.percentile(values, q)` (method "linear") does it, down to its interpolation formula.
 * NaN for no values. Sorts a copy unless `sorted` says the values are in ascending order already.
 */
export function percentile(values: ArrayLike<number>, q: number, sorted = false): number {
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile: q must be within [0, 100], got ${q}`);
  const n = values.length;
  if (n === 0) return NaN;
  const a = sorted ? values : Float64Array.from(values).sort();
  const quantile = q / 100;
  // numpy's _compute_virtual_index with alpha = beta = 1, written the same way so that rounding agrees.
  const virtual = n * quantile + (1 + quantile * (1 - 1 - 1)) - 1;
  if (virtual >= n - 1) return a[n - 1]!;
  if (virtual < 0) return a[0]!;
  const below = Math.floor(virtual);
  const gamma = virtual - below;
  const lo = a[below]!;
  const hi = a[below + 1]!;
  // Equal neighbours (including two infinities, where numpy's lerp would give NaN) need no interpolation.
  if (lo === hi) return lo;
  const diff = hi - lo;
  return gamma >= 0.5 ? hi - diff * (1 - gamma) : lo + diff * gamma;
}
