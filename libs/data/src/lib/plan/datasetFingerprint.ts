import type { Split } from '../dataset/assignSplit.js';
import type { DatasetCase, DatasetManifest } from '../dataset/datasetTypes.js';
import { percentile } from '../stats/percentile.js';
import { type CaseIntensities, INTENSITY_PERCENTILES, type IntensitySummary } from './intensitySummary.js';

/** Median and spread of one property over the cases (numpy's linear percentiles; q1/q3 are the 25th/75th). */
export interface Spread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
}

/** Intensities pooled over all cases: exact count, mean and std; percentiles of the count-weighted mixture. */
export interface PooledIntensities {
  readonly count: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly percentiles: readonly (readonly [number, number])[];
}

/**
 * What a dataset is, as the planner needs it (nnU-Net's dataset fingerprint). Geometry comes from each series'
 * own grid (`grid: 'source'`), or from the stored arrays for datasets ingested before medseg recorded it.
 * Intensities are the raw values (modality units, HU for CT) that ingest recorded before normalising
 * (`intensity.source: 'raw'`), or, for older datasets, the normalised stored arrays (`'normalised'`).
 */
export interface DatasetFingerprint {
  readonly cases: number;
  readonly patients: number;
  readonly patientsBySplit: Readonly<Record<Split, number>>;
  /** Stored slices per split, all and those holding foreground, and whether training uses the empty ones. */
  readonly slicesBySplit: Readonly<Record<Split, number>>;
  readonly foregroundSlicesBySplit: Readonly<Record<Split, number>>;
  readonly emptySlices: 'keep' | 'drop';
  /** The most common modality, and the count of each. */
  readonly modality: string;
  readonly modalities: Readonly<Record<string, number>>;
  readonly classes: readonly string[];
  readonly grid: 'source' | 'stored';
  /** Voxel spacing in mm along columns (x), rows (y) and slices (z). */
  readonly spacing: { readonly x: Spread; readonly y: Spread; readonly z: Spread };
  readonly size: { readonly columns: Spread; readonly rows: Spread; readonly slices: Spread };
  /** In-plane extent in mm (size times spacing) along x and y. */
  readonly fieldOfView: { readonly x: Spread; readonly y: Spread };
  /** The arrays as stored (after ingest's `--spacing`/`--size`) and the normalisation each case received. */
  readonly stored: { readonly spacingX: Spread; readonly columns: Spread; readonly rows: Spread; readonly normalization: readonly string[] };
  readonly foreground: {
    readonly voxels: Spread;
    /** Foreground volume in millilitres (stored voxels times voxel volume). */
    readonly volumeMl: Spread;
    readonly slices: Spread;
    /** Share of each case's slices that hold foreground. */
    readonly sliceFraction: Spread;
    readonly casesWithout: number;
  };
  readonly intensity: {
    readonly source: 'raw' | 'normalised';
    readonly foreground: PooledIntensities;
    readonly background: PooledIntensities;
    /** Spread over the cases of each case's own foreground mean and std (how much cases differ). */
    readonly perCase: { readonly foregroundMean: Spread; readonly foregroundStd: Spread };
  };
}

/** Whether ingest recorded a case's raw intensity summary in the current form (with its quantile table). */
export function hasRawIntensities(entry: DatasetCase): boolean {
  return Array.isArray(entry.intensity?.foreground.quantiles) && Array.isArray(entry.intensity?.background.quantiles);
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, q1: NaN, q3: NaN, min: NaN, max: NaN };
  const sorted = Float64Array.from(values).sort();
  return {
    median: percentile(sorted, 50, true),
    q1: percentile(sorted, 25, true),
    q3: percentile(sorted, 75, true),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

/** A case's empirical CDF at v, interpolated linearly in its quantile table (QUANTILE_STEP apart, 0 to 100 %). */
function caseCdf(summary: IntensitySummary, v: number): number {
  const table = summary.quantiles;
  const last = table.length - 1;
  if (v < table[0]!) return 0;
  if (v >= table[last]!) return 1;
  // Binary search for the last knot at or below v, so that ties (runs of equal values) take the highest level.
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (table[mid]! <= v) lo = mid;
    else hi = mid;
  }
  const x0 = table[lo]!;
  const x1 = table[hi]!;
  return (x1 > x0 ? lo + (v - x0) / (x1 - x0) : hi) / last;
}

/**
 * Pools per-case summaries: count, mean and (population) std exactly from each case's count, mean and std;
 * percentiles as the quantiles of the count-weighted mixture of the cases' CDFs (interpolated in their
 * quantile tables), found by bisection. A single case gives back its own percentiles at the table's levels.
 */
export function poolIntensities(summaries: readonly IntensitySummary[]): PooledIntensities {
  const present = summaries.filter((s) => s.count > 0 && s.mean !== null && s.std !== null);
  const count = present.reduce((n, s) => n + s.count, 0);
  if (count === 0) return { count: 0, mean: null, std: null, percentiles: [] };
  const mean = present.reduce((m, s) => m + s.count * s.mean!, 0) / count;
  const variance = present.reduce((v, s) => v + s.count * (s.std! ** 2 + (s.mean! - mean) ** 2), 0) / count;
  const low = Math.min(...present.map((s) => s.min!));
  const high = Math.max(...present.map((s) => s.max!));
  const mixture = (v: number) => present.reduce((p, s) => p + s.count * caseCdf(s, v), 0) / count;
  const quantile = (q: number) => {
    let a = low;
    let b = high;
    for (let i = 0; i < 100 && b - a > 1e-9 * Math.max(1, Math.abs(a) + Math.abs(b)); i++) {
      const mid = (a + b) / 2;
      if (mixture(mid) < q / 100) a = mid;
      else b = mid;
    }
    // The upper end: the least value whose mixture CDF reaches q (within the bisection's tolerance), so that a
    // run of tied values that holds level q is returned as that value, not just below it.
    return b;
  };
  return { count, mean, std: Math.sqrt(variance), percentiles: INTENSITY_PERCENTILES.map((q) => [q, quantile(q)] as const) };
}

/**
 * The fingerprint of a dataset from its manifest (pure). `storedIntensities` are summaries of the stored
 * (normalised) arrays by case ID, which the caller reads when some case has no raw summary from ingest.
 */
export function datasetFingerprint(manifest: DatasetManifest, storedIntensities?: ReadonlyMap<string, CaseIntensities>): DatasetFingerprint {
  const cases = manifest.cases;
  if (cases.length === 0) throw new RangeError('datasetFingerprint: the dataset has no cases');
  const modalities: Record<string, number> = {};
  for (const c of cases) modalities[c.modality] = (modalities[c.modality] ?? 0) + 1;
  const modality = Object.entries(modalities).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  const patientSplit = new Map(cases.map((c) => [c.patientId, c.split]));
  const patientsBySplit: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const split of patientSplit.values()) patientsBySplit[split]++;
  const slicesBySplit: Record<Split, number> = { train: 0, val: 0, test: 0 };
  const foregroundSlicesBySplit: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const c of cases) {
    slicesBySplit[c.split] += c.shape[2];
    foregroundSlicesBySplit[c.split] += c.foregroundSlices.length;
  }

  const fromSource = cases.every((c) => c.sourceGrid !== undefined);
  const grids = cases.map((c) => (fromSource ? c.sourceGrid! : { shape: c.shape, spacing: c.spacing }));
  const rawIntensities = cases.every(hasRawIntensities);
  const intensities = cases.map((c) => {
    const summary = rawIntensities ? c.intensity : storedIntensities?.get(c.id);
    if (!summary) throw new RangeError(`datasetFingerprint: case '${c.id}' has no raw intensity summary and none of its stored arrays was given`);
    return summary;
  });
  const foregroundCases = intensities.filter((s) => s.foreground.count > 0);

  return {
    cases: cases.length,
    patients: patientSplit.size,
    patientsBySplit,
    slicesBySplit,
    foregroundSlicesBySplit,
    emptySlices: manifest.settings.emptySlices ?? 'keep',
    modality,
    modalities,
    classes: manifest.classes,
    grid: fromSource ? 'source' : 'stored',
    spacing: { x: spread(grids.map((g) => g.spacing[0])), y: spread(grids.map((g) => g.spacing[1])), z: spread(grids.map((g) => g.spacing[2])) },
    size: { columns: spread(grids.map((g) => g.shape[0])), rows: spread(grids.map((g) => g.shape[1])), slices: spread(grids.map((g) => g.shape[2])) },
    fieldOfView: { x: spread(grids.map((g) => g.shape[0] * g.spacing[0])), y: spread(grids.map((g) => g.shape[1] * g.spacing[1])) },
    stored: {
      spacingX: spread(cases.map((c) => c.spacing[0])),
      columns: spread(cases.map((c) => c.shape[0])),
      rows: spread(cases.map((c) => c.shape[1])),
      normalization: [...new Set(cases.map((c) => JSON.stringify(c.normalization.spec)))],
    },
    foreground: {
      voxels: spread(cases.map((c) => c.foregroundVoxels)),
      volumeMl: spread(cases.map((c) => (c.foregroundVoxels * c.spacing[0] * c.spacing[1] * c.spacing[2]) / 1000)),
      slices: spread(cases.map((c) => c.foregroundSlices.length)),
      sliceFraction: spread(cases.map((c) => c.foregroundSlices.length / Math.max(1, c.shape[2]))),
      casesWithout: cases.filter((c) => c.foregroundVoxels === 0).length,
    },
    intensity: {
      source: rawIntensities ? 'raw' : 'normalised',
      foreground: poolIntensities(intensities.map((s) => s.foreground)),
      background: poolIntensities(intensities.map((s) => s.background)),
      perCase: {
        foregroundMean: spread(foregroundCases.map((s) => s.foreground.mean!)),
        foregroundStd: spread(foregroundCases.map((s) => s.foreground.std!)),
      },
    },
  };
}
