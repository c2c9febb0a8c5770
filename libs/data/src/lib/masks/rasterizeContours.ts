import type { Volume } from '../volume.js';
import { lpsToVoxelMatrix } from '../volume.js';

export type Grid = Pick<Volume, 'shape' | 'spacing' | 'origin' | 'direction'>;

export interface PlanarContour {
  /** x, y, z triplets in patient coordinates (LPS, mm). */
  readonly points: Float64Array;
}

export interface RasterizedContours {
  /** 1 inside, 0 outside; same layout as `Volume.data`. */
  readonly mask: Uint8Array;
  /** Contours that lie off the grid's slices (more than `sliceTolerance` slices from the nearest one). */
  readonly offSliceContours: number;
  /** Contours that lie on a slice outside the grid. */
  readonly outsideContours: number;
  /**
   * Contours left out because a point is not finite or lies absurdly far from the grid (more than its own size
   * beyond an edge): corrupt coordinates, which would otherwise fill a band across the slice.
   */
  readonly absurdContours: number;
  /** The first such point (LPS, mm), for the message. */
  readonly absurdPoint?: readonly [number, number, number];
}

/**
 * Rasterises closed planar contours onto a grid. A voxel is inside when its centre is inside the polygon, and
 * all contours that fall on one slice combine by the even-odd rule, so a contour drawn inside another is a
 * hole. This reproduces the IBSI's reference masks voxel for voxel. Each contour goes to the slice nearest to
 * its mean position along the slice axis.
 */
export function rasterizeContours(contours: readonly PlanarContour[], grid: Grid, sliceTolerance = 0.5): RasterizedContours {
  const [columns, rows, slices] = grid.shape;
  const mask = new Uint8Array(columns * rows * slices);
  const toVoxel = lpsToVoxelMatrix(grid);

  // Contours in voxel coordinates (x = column, y = row), grouped by slice.
  const bySlice = new Map<number, Float64Array[]>();
  let offSliceContours = 0;
  let outsideContours = 0;
  let absurdContours = 0;
  let absurdPoint: [number, number, number] | undefined;
  const reach = Math.max(columns, rows, slices);
  const absurd = (v: number, size: number): boolean => !Number.isFinite(v) || v < -size - reach || v > 2 * size + reach;
  for (const contour of contours) {
    const count = contour.points.length / 3;
    if (count < 3) continue;
    const xy = new Float64Array(count * 2);
    let sliceSum = 0;
    let bad = false;
    for (let p = 0; p < count; p++) {
      const [x, y, z] = [contour.points[p * 3]!, contour.points[p * 3 + 1]!, contour.points[p * 3 + 2]!];
      const voxel = toVoxel.map((row) => row[0]! * x + row[1]! * y + row[2]! * z + row[3]!);
      if (!bad && (absurd(voxel[0]!, columns) || absurd(voxel[1]!, rows) || absurd(voxel[2]!, slices))) {
        bad = true;
        absurdPoint ??= [x, y, z];
      }
      xy[p * 2] = voxel[0]!;
      xy[p * 2 + 1] = voxel[1]!;
      sliceSum += voxel[2]!;
    }
    if (bad) {
      absurdContours++;
      continue;
    }
    const slicePosition = sliceSum / count;
    const slice = Math.round(slicePosition);
    if (Math.abs(slicePosition - slice) > sliceTolerance) {
      offSliceContours++;
      continue;
    }
    if (slice < 0 || slice >= slices) {
      outsideContours++;
      continue;
    }
    const list = bySlice.get(slice) ?? [];
    list.push(xy);
    bySlice.set(slice, list);
  }

  const crossings: number[] = [];
  for (const [slice, polygons] of bySlice) {
    const sliceOffset = slice * columns * rows;
    for (let y = 0; y < rows; y++) {
      crossings.length = 0;
      for (const xy of polygons) {
        const n = xy.length / 2;
        for (let p = 0, q = n - 1; p < n; q = p++) {
          const y1 = xy[q * 2 + 1]!;
          const y2 = xy[p * 2 + 1]!;
          // Half-open rule: an edge counts when it straddles the row of centres, so a vertex exactly on the row
          // is counted once and horizontal edges never.
          if (y1 > y !== y2 > y) {
            const x1 = xy[q * 2]!;
            const x2 = xy[p * 2]!;
            crossings.push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1));
          }
        }
      }
      if (crossings.length < 2) continue;
      crossings.sort((a, b) => a - b);
      const rowOffset = sliceOffset + y * columns;
      for (let c = 0; c + 1 < crossings.length; c += 2) {
        const start = Math.max(0, Math.ceil(crossings[c]!));
        const end = Math.min(columns - 1, Math.ceil(crossings[c + 1]!) - 1);
        for (let x = start; x <= end; x++) mask[rowOffset + x] = 1;
      }
    }
  }
  return { mask, offSliceContours, outsideContours, absurdContours, ...(absurdPoint ? { absurdPoint } : {}) };
}
