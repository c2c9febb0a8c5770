import { type NiftiVolume, readNifti } from '@medseg/data';
import { EvalInputError } from './errors.js';
import type { Grid } from './grid.js';

export interface LabelMap {
  readonly path: string;
  readonly labels: Uint8Array | Uint16Array;
  readonly grid: Grid;
  readonly volume: NiftiVolume;
}

/**
 * Reads a NIfTI label map: integer labels 0..65535 (float files are accepted when every value is an integer,
 * as some tools store masks as float32). Anything else is an error naming the file.
 */
export async function readLabelMap(path: string): Promise<LabelMap> {
  const volume = await readNifti(path);
  const data = volume.data;
  let labels: Uint8Array | Uint16Array;
  if (data instanceof Uint8Array) labels = data;
  else {
    let max = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < 0 || v > 65535) {
        throw new EvalInputError(`not a label map: voxel ${i} is ${v} (labels must be integers in 0..65535)`, { path });
      }
      if (v > max) max = v;
    }
    labels = max < 256 ? Uint8Array.from(data) : Uint16Array.from(data);
  }
  return { path, labels, grid: { shape: volume.shape, spacing: volume.spacing }, volume };
}

/** Labels other than 0 that occur in a label map, ascending. */
export function presentLabels(labels: ArrayLike<number>): number[] {
  const seen = new Uint8Array(65536);
  for (let i = 0; i < labels.length; i++) seen[labels[i]!] = 1;
  const out: number[] = [];
  for (let v = 1; v < seen.length; v++) if (seen[v]) out.push(v);
  return out;
}

/** Throws unless a prediction lies on the truth's grid (same shape; spacing equal to 1e-3 relative). */
export function assertSameGrid(pred: LabelMap, truth: LabelMap): void {
  const a = pred.grid;
  const b = truth.grid;
  if (a.shape.some((n, i) => n !== b.shape[i])) {
    throw new EvalInputError(`prediction shape ${a.shape.join('x')} differs from the truth's ${b.shape.join('x')} (${truth.path})`, { path: pred.path });
  }
  if (a.spacing.some((s, i) => Math.abs(s - b.spacing[i]!) > 1e-3 * Math.max(s, b.spacing[i]!))) {
    throw new EvalInputError(
      `prediction spacing ${a.spacing.join('x')} mm differs from the truth's ${b.spacing.join('x')} mm (${truth.path})`,
      { path: pred.path },
    );
  }
}
