import type { DicomSeriesVolume } from '../dicom/readDicomSeries.js';
import { MaskError } from '../masks/maskErrors.js';
import { placeSegFrames } from '../masks/placeSegFrames.js';
import { rasterizeContours } from '../masks/rasterizeContours.js';
import { readDicomSeg } from '../masks/readDicomSeg.js';
import { readPngMasks } from '../masks/readPngMasks.js';
import { readRtStruct, selectRois } from '../masks/readRtStruct.js';
import { readNifti } from '../nifti/readNifti.js';
import { resampleVolume } from '../resample/resampleVolume.js';
import type { Volume } from '../volume.js';
import type { MaskSourceKind } from './datasetTypes.js';

export interface MaskSource {
  readonly kind: MaskSourceKind;
  readonly path: string;
}

export interface CaseMask {
  /** Label map on the series grid. */
  readonly labels: Uint8Array;
  /** Class names for labels 1..K. */
  readonly classes: readonly string[];
  /** For labels 1..K, the names of the ROIs (or SEG segments) that made each class in this case. */
  readonly roiNames: readonly (readonly string[])[];
}

function sameGrid(a: Volume, b: Volume): boolean {
  if (a.shape.some((v, i) => v !== b.shape[i])) return false;
  const close = (x: number, y: number, tolerance: number) => Math.abs(x - y) <= tolerance;
  return [0, 1, 2].every((i) =>
    close(a.spacing[i]!, b.spacing[i]!, 1e-3 * b.spacing[i]!) && close(a.origin[i]!, b.origin[i]!, 1e-2 * b.spacing[0]) &&
    [0, 1, 2].every((j) => close(a.direction[i]![j]!, b.direction[i]![j]!, 1e-3)));
}

/**
 * The ground truth of one series as a label map on its grid. RTSTRUCT: each `--roi` pattern is one class, the
 * union of the ROIs it matches. SEG: one class per segment. NIfTI: resampled by nearest neighbour when its grid
 * differs. PNG: one file per slice.
 */
export async function buildCaseMask(series: DicomSeriesVolume, source: MaskSource, options: { roi: readonly string[]; segThreshold: number }): Promise<CaseMask> {
  const grid = series.volume;
  switch (source.kind) {
    case 'rtstruct': {
      const rt = await readRtStruct(source.path);
      const patterns = options.roi.length > 0 ? options.roi : ['*'];
      const labels = new Uint8Array(grid.data.length);
      const roiNames: string[][] = [];
      patterns.forEach((pattern, index) => {
        const rois = selectRois(rt, pattern);
        roiNames.push(rois.map((roi) => roi.name));
        if (rois.length === 0) {
          throw new MaskError(`no ROI matches '${pattern}' (ROIs: ${rt.rois.map((r) => r.name).join(', ') || 'none'})`, { path: source.path });
        }
        const { mask, offSliceContours, outsideContours, absurdContours, absurdPoint } = rasterizeContours(rois.flatMap((roi) => roi.contours), grid);
        if (absurdContours > 0) {
          throw new MaskError(`ROI '${pattern}': ${absurdContours} contour(s) have a point far outside the image or not a number, e.g. (${absurdPoint!.join(', ')}) mm: corrupt coordinates`, { path: source.path });
        }
        const placed = mask.reduce((sum, v) => sum + v, 0);
        if (placed === 0) {
          throw new MaskError(`ROI '${pattern}' has no contour on the image slices (${offSliceContours} between slices, ${outsideContours} outside): mismatched grids`, { path: source.path });
        }
        for (let i = 0; i < mask.length; i++) if (mask[i]) labels[i] = index + 1;
      });
      return { labels, classes: patterns.length === 1 && patterns[0] === '*' ? ['roi'] : patterns, roiNames };
    }
    case 'seg': {
      const seg = await readDicomSeg(source.path);
      const placed = placeSegFrames(seg, { ...grid, sopInstanceUids: series.sopInstanceUids }, { threshold: options.segThreshold });
      if (placed.unmatchedFrames === seg.frames.length) {
        throw new MaskError('no SEG frame matches a slice of the series by reference or position (mismatched grids)', { path: source.path });
      }
      const maxLabel = Math.max(0, ...seg.segments.map((s) => s.number));
      const classes = Array.from({ length: maxLabel }, (_, i) => seg.segments.find((s) => s.number === i + 1)?.label ?? `segment ${i + 1}`);
      return { labels: placed.labels, classes, roiNames: classes.map((name) => [name]) };
    }
    case 'nifti': {
      const nifti = await readNifti(source.path);
      const onGrid = sameGrid(nifti, grid) ? nifti : resampleVolume(nifti, grid, 'nearest');
      // A label map holds small whole labels; anything else (a probability map, scl_slope 1e38) is not one.
      const bad = onGrid.data.findIndex((v) => !Number.isInteger(v) || v < 0 || v > 255);
      if (bad >= 0) {
        throw new MaskError(`not a label map: voxel ${bad} holds ${onGrid.data[bad]} (labels are whole numbers 0-255; check scl_slope/scl_inter)`, { path: source.path });
      }
      const labels = Uint8Array.from(onGrid.data);
      const maxLabel = labels.reduce((max, v) => Math.max(max, v), 0);
      const classes = Array.from({ length: Math.max(1, maxLabel) }, (_, i) => `class ${i + 1}`);
      return { labels, classes, roiNames: classes.map(() => []) };
    }
    case 'png': {
      const labels = await readPngMasks(source.path, grid.shape, series.sopInstanceUids);
      const maxLabel = labels.reduce((max, v) => Math.max(max, v), 0);
      const classes = Array.from({ length: Math.max(1, maxLabel) }, (_, i) => `class ${i + 1}`);
      return { labels, classes, roiNames: classes.map(() => []) };
    }
  }
}
