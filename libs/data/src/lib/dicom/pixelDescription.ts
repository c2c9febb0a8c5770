import { getDecimal, getString, getUint16 } from './dicomValues.js';
import type { DicomDataset } from './parseDicom.js';
import { NoPixelDataError, UnsupportedPixelFormatError } from './errors.js';
import { Tag } from './tags.js';
import { ResourceLimitError, checkVoxelLimit } from '../limits/resourceLimits.js';

/** The image pixel module (PS3.3 C.7.6.3): how stored pixel values are laid out. */
export interface PixelDescription {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly photometricInterpretation: string;
  /** 0: colour-by-pixel (RGBRGB...), 1: colour-by-plane (RR..GG..BB..). */
  readonly planarConfiguration: 0 | 1;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  readonly numberOfFrames: number;
  /** Which pixel data element holds the frames. */
  readonly pixelDataTag: string;
}

/** Reads and validates the image pixel module; throws `NoPixelDataError` for objects without pixels. */
export function readPixelDescription(dataset: DicomDataset): PixelDescription {
  const { raw, path } = dataset;
  const pixelDataTag = [Tag.PixelData, Tag.FloatPixelData, Tag.DoubleFloatPixelData].find((tag) => raw.elements[tag]);
  if (pixelDataTag === undefined) throw new NoPixelDataError('no pixel data', { path });
  const rows = getUint16(raw, Tag.Rows);
  const columns = getUint16(raw, Tag.Columns);
  if (!rows || !columns) throw new NoPixelDataError('pixel data without Rows/Columns', { path });
  const bitsAllocated = getUint16(raw, Tag.BitsAllocated) ?? (pixelDataTag === Tag.DoubleFloatPixelData ? 64 : 32);
  const bitsStored = getUint16(raw, Tag.BitsStored) ?? bitsAllocated;
  const highBit = getUint16(raw, Tag.HighBit) ?? bitsStored - 1;
  const samplesPerPixel = getUint16(raw, Tag.SamplesPerPixel) ?? 1;
  const numberOfFrames = Math.max(1, Math.round(getDecimal(raw, Tag.NumberOfFrames) ?? 1));
  if (![1, 8, 16, 32, 64].includes(bitsAllocated)) {
    throw new UnsupportedPixelFormatError(`BitsAllocated ${bitsAllocated} is not supported`, { path });
  }
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new UnsupportedPixelFormatError(`BitsStored ${bitsStored} does not fit BitsAllocated ${bitsAllocated}`, { path });
  }
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) {
    throw new UnsupportedPixelFormatError(`SamplesPerPixel ${samplesPerPixel} is not supported`, { path });
  }
  const photometricInterpretation = getString(raw, Tag.PhotometricInterpretation) ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  checkDeclaredSize(dataset, pixelDataTag, { rows, columns, samplesPerPixel, bitsAllocated, numberOfFrames, photometricInterpretation });
  return {
    rows,
    columns,
    samplesPerPixel,
    photometricInterpretation,
    planarConfiguration: samplesPerPixel > 1 && getUint16(raw, Tag.PlanarConfiguration) === 1 ? 1 : 0,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: getUint16(raw, Tag.PixelRepresentation) === 1 ? 1 : 0,
    numberOfFrames,
    pixelDataTag,
  };
}

/**
 * What the header declares must fit the limits and the bytes present before anything loops over or allocates
 * for its frames: a small file claiming NumberOfFrames 2147483647 is refused here, not after gigabytes.
 */
function checkDeclaredSize(
  dataset: DicomDataset,
  pixelDataTag: string,
  d: { rows: number; columns: number; samplesPerPixel: number; bitsAllocated: number; numberOfFrames: number; photometricInterpretation: string },
): void {
  const { raw, path } = dataset;
  const frameSamples = d.rows * d.columns * d.samplesPerPixel;
  checkVoxelLimit(frameSamples * d.numberOfFrames, `the pixel data (${d.numberOfFrames} frames of ${d.columns}x${d.rows}x${d.samplesPerPixel})`, path);
  if (d.numberOfFrames === 1) return;
  const element = raw.elements[pixelDataTag]!;
  const present = Math.max(0, (raw.byteArray as Uint8Array).length - element.dataOffset);
  if (element.hadUndefinedLength) {
    // Encapsulated: every frame takes at least one item (8 bytes of header).
    if (d.numberOfFrames * 8 > present) {
      throw new ResourceLimitError(`NumberOfFrames ${d.numberOfFrames} cannot fit in the ${present} bytes of encapsulated pixel data`, { path });
    }
    return;
  }
  const storedSamples = d.photometricInterpretation === 'YBR_FULL_422' ? d.rows * d.columns * 2 : frameSamples;
  const needed = Math.ceil((storedSamples * d.bitsAllocated * d.numberOfFrames) / 8);
  const available = Math.min(element.length, present);
  if (needed > available) {
    throw new ResourceLimitError(`NumberOfFrames ${d.numberOfFrames} needs ${needed} bytes of pixel data, the file holds ${available}`, { path });
  }
}

/** Samples in one frame. */
export function frameSampleCount(pixels: PixelDescription): number {
  return pixels.rows * pixels.columns * pixels.samplesPerPixel;
}
