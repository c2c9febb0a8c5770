import type { VoxelArray } from '../../volume.js';
import type { DicomDataset } from '../parseDicom.js';
import { frameSampleCount, type PixelDescription } from '../pixelDescription.js';
import { Tag, TransferSyntax } from '../tags.js';
import { unpackBitPlane } from './rle.js';
import { samplesFromBytes } from './storedValues.js';

/** Bytes of one uncompressed frame as stored (YBR_FULL_422 frames hold two samples per pixel). */
function storedFrameBytes(pixels: PixelDescription): number {
  const samples = pixels.photometricInterpretation === 'YBR_FULL_422' ? pixels.rows * pixels.columns * 2 : frameSampleCount(pixels);
  return (samples * pixels.bitsAllocated) / 8;
}

/**
 * One frame of native pixel bytes held on its own (as Deflated Image Frame Compression gives them): bit-packed
 * frames start at bit 0, others are typed by BitsAllocated.
 */
export function nativeFrameFromBytes(bytes: Uint8Array, pixels: PixelDescription): VoxelArray {
  const count = frameSampleCount(pixels);
  if (pixels.bitsAllocated === 1) {
    if (bytes.length * 8 < count) throw new Error('inflated frame is too short');
    return unpackBitPlane(bytes, count);
  }
  const frameBytes = storedFrameBytes(pixels);
  if (bytes.length < frameBytes) throw new Error(`inflated frame is ${bytes.length} bytes, expected ${frameBytes}`);
  return samplesFromBytes(pixels, bytes.subarray(0, frameBytes), false);
}

/**
 * Slices frame `index` out of native (uncompressed) pixel data. Returns the raw frame bytes for YBR_FULL_422
 * (which need expanding) and typed samples otherwise. Throws a plain Error when the data is short.
 */
export function nativeFrame(dataset: DicomDataset, pixels: PixelDescription, index: number): VoxelArray {
  const element = dataset.raw.elements[pixels.pixelDataTag]!;
  const byteArray = dataset.raw.byteArray as Uint8Array;
  const available = Math.min(element.length, byteArray.length - element.dataOffset);
  if (pixels.bitsAllocated === 1) {
    // Bit-packed frames follow each other without padding (PS3.5 8.1.1), least significant bit first.
    const count = frameSampleCount(pixels);
    const firstBit = index * count;
    if (Math.ceil((firstBit + count) / 8) > available) throw new Error(`pixel data holds fewer than ${index + 1} frames`);
    return unpackBitPlane(byteArray.subarray(element.dataOffset), count, firstBit);
  }
  const frameBytes = storedFrameBytes(pixels);
  const start = index * frameBytes;
  if (start + frameBytes > available) {
    throw new Error(`pixel data is ${available} bytes, too short for frame ${index + 1} of ${frameBytes} bytes`);
  }
  const bytes = byteArray.subarray(element.dataOffset + start, element.dataOffset + start + frameBytes);
  const bigEndian = dataset.transferSyntaxUid === TransferSyntax.ExplicitVrBigEndian;
  return samplesFromBytes(pixels, bytes, pixels.pixelDataTag !== Tag.PixelData, bigEndian);
}
