import { type ClassMetrics, type EvaluateOptions, evaluateCase } from './evaluateCase.js';
import { type Grid, assertGrid, assertMaskLength } from './grid.js';

/** 2D metrics of one class on one slice of a 3D case. */
export interface SliceMetrics extends ClassMetrics {
  readonly slice: number;
}

/**
 * The per-slice (2D) view of a 3D case: every metric on each slice on its own (4-neighbourhood surfaces,
 * in-plane distances), for every slice where the class is in the truth or the prediction. Slices where both are
 * empty are left out whatever the empty rule: a volume has many, and they would swamp any mean.
 */
export function evaluateSlices(pred: ArrayLike<number>, truth: ArrayLike<number>, grid: Grid, options: EvaluateOptions): SliceMetrics[] {
  assertGrid(grid, 'evaluateSlices');
  assertMaskLength(pred, grid, 'evaluateSlices', 'pred');
  assertMaskLength(truth, grid, 'evaluateSlices', 'truth');
  const [nx, ny, nz] = grid.shape;
  const sliceGrid: Grid = { shape: [nx, ny, 1], spacing: grid.spacing };
  const size = nx * ny;
  const maxLabel = Math.max(0, ...options.labels);
  const wanted = new Uint8Array(maxLabel + 1);
  for (const label of options.labels) wanted[label] = 1;
  const out: SliceMetrics[] = [];
  const seen = new Uint8Array(maxLabel + 1);
  for (let z = 0; z < nz; z++) {
    const p = sliceOf(pred, z * size, size);
    const t = sliceOf(truth, z * size, size);
    seen.fill(0);
    let any = false;
    for (let i = 0; i < size; i++) {
      const a = p[i]!;
      const b = t[i]!;
      if (a === 0 && b === 0) continue;
      if (a <= maxLabel && wanted[a]) {
        seen[a] = 1;
        any = true;
      }
      if (b <= maxLabel && wanted[b]) {
        seen[b] = 1;
        any = true;
      }
    }
    if (!any) continue;
    const labels = options.labels.filter((label) => seen[label] === 1);
    for (const m of evaluateCase(p, t, sliceGrid, { ...options, labels })) out.push({ ...m, slice: z });
  }
  return out;
}

function sliceOf(data: ArrayLike<number>, start: number, size: number): ArrayLike<number> {
  if (ArrayBuffer.isView(data)) return (data as unknown as Uint8Array).subarray(start, start + size);
  return Array.prototype.slice.call(data, start, start + size) as number[];
}
