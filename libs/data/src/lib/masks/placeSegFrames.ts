import { lpsToVoxelMatrix } from '../volume.js';
import type { DicomSeg } from './readDicomSeg.js';
import { MaskError } from './maskErrors.js';
import type { Grid } from './rasterizeContours.js';

export interface SegTarget extends Grid {
  /** SOP Instance UID of each slice, in grid order: frames that reference one are placed by it. */
  readonly sopInstanceUids?: readonly string[];
}

export interface PlacedSeg {
  /** Label map on the grid: a voxel holds the highest segment number whose mask covers it, 0 elsewhere. */
  readonly labels: Uint8Array;
  /** One binary mask per segment number, so that overlapping segments stay separate. */
  readonly segments: ReadonlyMap<number, Uint8Array>;
  /** Frames that matched no slice (by reference or by position). */
  readonly unmatchedFrames: number;
}

/**
 * Places a SEG's frames on an image grid: by the referenced SOP Instance UID where the frame names one of the
 * grid's slices, otherwise by its plane position (within a tenth of a slice, and at an integer in-plane offset,
 * so SEGs cropped to a bounding box land where they belong). Fractional frames are thresholded (`value / max >=
 * threshold`). Several segments become several classes, numbered as in the SEG.
 */
export function placeSegFrames(seg: DicomSeg, target: SegTarget, options: { threshold?: number } = {}): PlacedSeg {
  const threshold = options.threshold ?? 0.5;
  const [columns, rows, slices] = target.shape;
  const sliceSize = columns * rows;
  if (seg.imageOrientationPatient) {
    const [rowDir, colDir] = seg.imageOrientationPatient;
    const alignment = Math.min(
      rowDir[0] * target.direction[0][0] + rowDir[1] * target.direction[0][1] + rowDir[2] * target.direction[0][2],
      colDir[0] * target.direction[1][0] + colDir[1] * target.direction[1][1] + colDir[2] * target.direction[1][2],
    );
    if (alignment < 0.999) throw new MaskError('SEG frames are not in the orientation of the image series (mismatched grids)', { path: seg.path });
  }
  if (seg.pixelSpacing && (Math.abs(seg.pixelSpacing[0] - target.spacing[1]) > 1e-3 * target.spacing[1] || Math.abs(seg.pixelSpacing[1] - target.spacing[0]) > 1e-3 * target.spacing[0])) {
    throw new MaskError(`SEG pixel spacing ${seg.pixelSpacing.join('\\')} differs from the image's ${target.spacing[1]}\\${target.spacing[0]} (mismatched grids)`, { path: seg.path });
  }

  const sliceByUid = new Map<string, number>();
  target.sopInstanceUids?.forEach((uid, index) => sliceByUid.set(uid, index));
  const toVoxel = lpsToVoxelMatrix(target);

  const segments = new Map<number, Uint8Array>();
  const maskFor = (segment: number): Uint8Array => {
    let mask = segments.get(segment);
    if (!mask) {
      mask = new Uint8Array(sliceSize * slices);
      segments.set(segment, mask);
    }
    return mask;
  };
  // Label map values that name no segment (a pixel padding value, say) are background.
  const labelMapSegments = new Set(seg.segments.map((segment) => segment.number).filter((number) => number > 0));
  let unmatchedFrames = 0;
  const cutoff = threshold * seg.maximumFractionalValue;

  for (const frame of seg.frames) {
    let slice: number | undefined;
    let offsetX = 0;
    let offsetY = 0;
    for (const uid of frame.referencedSopInstanceUids) slice ??= sliceByUid.get(uid);
    if (slice === undefined && frame.imagePositionPatient) {
      const [px, py, pz] = frame.imagePositionPatient;
      const [x, y, z] = toVoxel.map((row) => row[0]! * px + row[1]! * py + row[2]! * pz + row[3]!) as [number, number, number];
      const k = Math.round(z);
      if (Math.abs(z - k) <= 0.1 && Math.abs(x - Math.round(x)) <= 0.1 && Math.abs(y - Math.round(y)) <= 0.1) {
        slice = k;
        offsetX = Math.round(x);
        offsetY = Math.round(y);
      }
    }
    if (slice === undefined || slice < 0 || slice >= slices) {
      unmatchedFrames++;
      continue;
    }
    if (frame.referencedSopInstanceUids.length > 0 && offsetX === 0 && offsetY === 0 && (seg.columns !== columns || seg.rows !== rows)) {
      throw new MaskError(`SEG frames are ${seg.columns}x${seg.rows} but the image is ${columns}x${rows} (mismatched grids)`, { path: seg.path });
    }
    for (let r = 0; r < seg.rows; r++) {
      const y = r + offsetY;
      if (y < 0 || y >= rows) continue;
      for (let c = 0; c < seg.columns; c++) {
        const x = c + offsetX;
        if (x < 0 || x >= columns) continue;
        const value = frame.pixels[r * seg.columns + c]!;
        const index = slice * sliceSize + y * columns + x;
        if (seg.segmentationType === 'LABELMAP') {
          if (labelMapSegments.has(value)) maskFor(value)[index] = 1;
        } else if (seg.segmentationType === 'FRACTIONAL' ? value >= cutoff && value > 0 : value > 0) {
          maskFor(frame.segmentNumber)[index] = 1;
        }
      }
    }
  }

  const labels = new Uint8Array(sliceSize * slices);
  for (const segment of [...segments.keys()].sort((a, b) => a - b)) {
    if (segment > 255) throw new MaskError(`segment number ${segment} does not fit a uint8 label map`, { path: seg.path });
    const mask = segments.get(segment)!;
    for (let i = 0; i < mask.length; i++) if (mask[i]) labels[i] = segment;
  }
  return { labels, segments, unmatchedFrames };
}
