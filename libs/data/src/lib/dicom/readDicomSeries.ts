import type { Volume, VoxelArray } from '../volume.js';
import { arrangeSlices } from './arrangeSlices.js';
import { UnsupportedPixelFormatError } from './errors.js';
import { parseDicomBytes } from './parseDicom.js';
import { allocateForRange, applyModalityLut, isIntegerRescale, rescaledRange } from './pixels/modalityLut.js';
import type { VoiWindow } from './pixels/voiWindow.js';
import { decodeDicomDataset, readDicomBytes } from './readDicomFile.js';
import type { DicomSeriesInfo, SeriesProblem } from './seriesTypes.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/** A series read into one volume, with what identifies it and what is wrong with it. */
export interface DicomSeriesVolume {
  /** Values after the modality LUT: Int16Array/Uint16Array when they are integers that fit, else Float32Array. */
  readonly volume: Volume<Int16Array | Uint16Array | Float32Array>;
  readonly modality: string;
  readonly patientId: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  readonly sopClassUid: string;
  /** SOP instance of each slice, in volume order (repeated for the frames of one multi-frame object). */
  readonly sopInstanceUids: string[];
  /** File of each slice, in volume order. */
  readonly files: string[];
  readonly problems: SeriesProblem[];
  /** MONOCHROME1 series display low values bright. */
  readonly photometricInterpretation: string;
  /** The first VOI window the files give, if any. */
  readonly window?: VoiWindow;
}

export interface ReadDicomSeriesOptions {
  /** Files decoded at once (default 8). */
  readonly concurrency?: number;
}

/**
 * Reads and decodes a scanned series into a volume ordered along the slice normal, applying each frame's
 * modality LUT. Geometry problems are reported in `problems`, not thrown; unreadable files throw typed errors.
 */
export async function readDicomSeries(info: DicomSeriesInfo, options: ReadDicomSeriesOptions = {}): Promise<DicomSeriesVolume> {
  const first = info.instances[0];
  if (!first) throw new UnsupportedPixelFormatError('series has no image files', { path: info.seriesInstanceUid });
  const colour = info.instances.find((i) => i.samplesPerPixel !== 1);
  if (colour) throw new UnsupportedPixelFormatError(`colour (${colour.photometricInterpretation}) images do not form a volume`, { path: colour.path });
  const fallbackSpacing = first.spacingBetweenSlices ?? first.sliceThickness ?? 1;
  const arrangement = arrangeSlices(
    info.instances.flatMap((i) => i.frames),
    fallbackSpacing > 0 ? fallbackSpacing : 1,
  );
  const { slices, rows, columns } = arrangement;
  const frameSize = rows * columns;

  // Decode each needed file once, keeping only the frames the arrangement uses.
  const framesByPath = new Map<string, number[]>();
  for (const slice of slices) {
    const list = framesByPath.get(slice.path) ?? [];
    list.push(slice.frameIndex);
    framesByPath.set(slice.path, list);
  }
  const decoded = new Map<string, Map<number, VoxelArray>>();
  const paths = [...framesByPath.keys()];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++]!;
      const frames = framesByPath.get(path)!;
      const dataset = parseDicomBytes(await readDicomBytes(path), path);
      const file = await decodeDicomDataset(dataset, { frames });
      decoded.set(path, new Map(frames.map((f, i) => [f, file.frames[i]!])));
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, options.concurrency ?? 8), paths.length) }, worker));

  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let integer = true;
  const samples = slices.map((slice) => {
    const frame = decoded.get(slice.path)!.get(slice.frameIndex)!;
    const [lo, hi] = rescaledRange(frame, slice.rescale);
    if (!(Math.abs(lo) <= FLOAT32_MAX && Math.abs(hi) <= FLOAT32_MAX)) {
      throw new UnsupportedPixelFormatError(`RescaleSlope ${slice.rescale.slope} / RescaleIntercept ${slice.rescale.intercept} give values beyond float32 (${lo} to ${hi}): not a usable modality LUT`, { path: slice.path });
    }
    min = Math.min(min, lo);
    max = Math.max(max, hi);
    integer &&= isIntegerRescale(slice.rescale) && !(frame instanceof Float32Array || frame instanceof Float64Array);
    return frame;
  });
  const data = allocateForRange(frameSize * slices.length, min, max, integer);
  slices.forEach((slice, z) => applyModalityLut(samples[z]!, slice.rescale, data, z * frameSize));

  const window = slices.find((s) => s.window)?.window;
  return {
    volume: {
      data,
      shape: [columns, rows, slices.length],
      spacing: arrangement.spacing,
      origin: arrangement.origin,
      direction: arrangement.direction,
    },
    modality: info.modality,
    patientId: info.patientId,
    studyInstanceUid: info.studyInstanceUid,
    seriesInstanceUid: info.seriesInstanceUid,
    frameOfReferenceUid: info.frameOfReferenceUid,
    sopClassUid: info.sopClassUid,
    sopInstanceUids: slices.map((s) => s.sopInstanceUid),
    files: slices.map((s) => s.path),
    problems: arrangement.problems,
    photometricInterpretation: first.photometricInterpretation,
    ...(window ? { window } : {}),
  };
}
