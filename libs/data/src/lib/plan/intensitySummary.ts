import { percentile } from '../stats/percentile.js';

/** The percentile levels (0..100) that ingest records of each case's intensities, inside and outside the masks. */
export const INTENSITY_PERCENTILES = [0.5, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5] as const;

/** Step (in percent) of the quantile table each summary also keeps, from 0 to 100, for pooling cases. */
export const QUANTILE_STEP = 0.5;

/**
 * Statistics of a set of intensities: count, mean, population standard deviation, extremes and the percentiles
 * at `INTENSITY_PERCENTILES` (numpy's linear method), as `[level, value]` pairs. Empty sets give count 0 and
 * NaN-free nulls, so that the record stays valid JSON.
 */
export interface IntensitySummary {
  readonly count: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly percentiles: readonly (readonly [number, number])[];
  /** Values at 0, QUANTILE_STEP, 2 QUANTILE_STEP, ... 100 percent: the case's CDF, which pooling mixes. */
  readonly quantiles: readonly number[];
}

/** One case's raw intensities (modality units, HU for CT) inside any foreground class and outside all of them. */
export interface CaseIntensities {
  readonly foreground: IntensitySummary;
  readonly background: IntensitySummary;
}

export function summarizeValues(values: Float32Array | Float64Array): IntensitySummary {
  const n = values.length;
  if (n === 0) return { count: 0, mean: null, std: null, min: null, max: null, percentiles: [], quantiles: [] };
  const sorted = values.sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (sorted[i]! - mean) ** 2;
  return {
    count: n,
    mean,
    std: Math.sqrt(squares / n),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    percentiles: INTENSITY_PERCENTILES.map((q) => [q, percentile(sorted, q, true)] as const),
    quantiles: Array.from({ length: Math.round(100 / QUANTILE_STEP) + 1 }, (_, k) => percentile(sorted, Math.min(100, k * QUANTILE_STEP), true)),
  };
}

/**
 * Splits a volume's intensities by its label map (same length: any label > 0 is foreground) and summarises
 * both sides. Pure; the caller passes the raw values before any normalisation.
 */
export function summarizeIntensities(values: ArrayLike<number>, labels: ArrayLike<number>): CaseIntensities {
  if (values.length !== labels.length) throw new RangeError(`summarizeIntensities: ${values.length} values but ${labels.length} labels`);
  let inside = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > 0) inside++;
  // Float32 holds every Int16, Uint16 and Float32 value exactly, at half the memory of Float64 (a large CT has 10^8 voxels).
  const foreground = new Float32Array(inside);
  const background = new Float32Array(values.length - inside);
  let f = 0;
  let b = 0;
  for (let i = 0; i < values.length; i++) {
    if (labels[i]! > 0) foreground[f++] = values[i]!;
    else background[b++] = values[i]!;
  }
  return { foreground: summarizeValues(foreground), background: summarizeValues(background) };
}
