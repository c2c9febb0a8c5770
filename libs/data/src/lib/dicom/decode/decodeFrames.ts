import { inflateRawSync } from 'node:zlib';
import type { VoxelArray } from '../../volume.js';
import { DicomDecodeError, UnsupportedTransferSyntaxError } from '../errors.js';
import type { DicomDataset } from '../parseDicom.js';
import type { PixelDescription } from '../pixelDescription.js';
import { TransferSyntax } from '../tags.js';
import { expandYbr422, planarToInterleaved, ybrFullToRgb } from './color.js';
import { decodeCompressedFrame, isCompressedSyntaxSupported } from './codecs.js';
import { splitEncapsulatedFrames } from './encapsulatedFrames.js';
import { nativeFrame, nativeFrameFromBytes } from './nativeFrames.js';
import { decodeRle } from './rle.js';
import { applyBitsStored } from './storedValues.js';

/** Decoded frames of one object: stored values, colour samples interleaved and converted to RGB. */
export interface DecodedPixels {
  /** The pixel description of the decoded frames (photometric interpretation RGB after colour conversion). */
  readonly pixels: PixelDescription;
  readonly frames: VoxelArray[];
}

const nativeSyntaxes = new Set<string>([
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.DeflatedExplicitVrLittleEndian,
  TransferSyntax.ExplicitVrBigEndian,
]);

// Encapsulated syntaxes decoded here rather than by a codec package.
const encapsulatedSyntaxes = new Set<string>([TransferSyntax.RleLossless, TransferSyntax.DeflatedImageFrameCompression]);

/** Whether medseg can decode pixel data in this transfer syntax. */
export function isTransferSyntaxSupported(uid: string): boolean {
  return nativeSyntaxes.has(uid) || encapsulatedSyntaxes.has(uid) || isCompressedSyntaxSupported(uid);
}

/**
 * Decodes every frame (or the listed ones) of a parsed object: one decoder per transfer syntax behind this
 * switch, then the pixel semantics every decoder shares (BitsStored, planar configuration, YBR to RGB).
 */
export async function decodeFrames(dataset: DicomDataset, pixels: PixelDescription, frameIndices?: readonly number[]): Promise<DecodedPixels> {
  const { path, transferSyntaxUid } = dataset;
  const indices = frameIndices ?? Array.from({ length: pixels.numberOfFrames }, (_, i) => i);
  const photometric = pixels.photometricInterpretation;
  const pixelCount = pixels.rows * pixels.columns;
  const color = pixels.samplesPerPixel === 3;
  let outPhotometric = photometric;
  const frames: VoxelArray[] = [];
  try {
    if (nativeSyntaxes.has(transferSyntaxUid)) {
      for (const index of indices) {
        let frame = nativeFrame(dataset, pixels, index);
        if (photometric === 'YBR_FULL_422' && pixels.bitsAllocated === 8) {
          frame = expandYbr422(frame as Uint8Array, pixels.rows, pixels.columns);
        } else if (color && pixels.planarConfiguration === 1) {
          frame = planarToInterleaved(frame, pixelCount, 3);
        }
        if (color && photometric.startsWith('YBR_FULL') && pixels.bitsAllocated === 8) {
          ybrFullToRgb(frame);
          outPhotometric = 'RGB';
        }
        frames.push(applyBitsStored(frame, pixels));
      }
    } else {
      const element = dataset.raw.elements[pixels.pixelDataTag]!;
      if (!element.hadUndefinedLength) {
        throw new Error(`pixel data of a compressed transfer syntax is not encapsulated`);
      }
      if (!encapsulatedSyntaxes.has(transferSyntaxUid) && !isCompressedSyntaxSupported(transferSyntaxUid)) {
        throw new UnsupportedTransferSyntaxError(transferSyntaxUid, { path });
      }
      const encoded = splitEncapsulatedFrames(dataset.raw, element, pixels.numberOfFrames);
      for (const index of indices) {
        const bytes = encoded[index];
        if (!bytes) throw new Error(`no frame ${index + 1}`);
        if (transferSyntaxUid === TransferSyntax.DeflatedImageFrameCompression) {
          // Each frame is a raw deflate stream of native pixels (PS3.5 A.4.11).
          let frame = nativeFrameFromBytes(inflateRawSync(bytes), pixels);
          if (color && pixels.planarConfiguration === 1) frame = planarToInterleaved(frame, pixelCount, 3);
          frames.push(applyBitsStored(frame, pixels));
        } else if (transferSyntaxUid === TransferSyntax.RleLossless) {
          const frame = decodeRle(bytes, pixels);
          if (color && photometric === 'YBR_FULL' && pixels.bitsAllocated === 8) {
            ybrFullToRgb(frame);
            outPhotometric = 'RGB';
          }
          frames.push(applyBitsStored(frame, pixels));
        } else {
          const decoded = await decodeCompressedFrame(transferSyntaxUid, bytes, pixels);
          outPhotometric = decoded.photometricInterpretation;
          if (color && outPhotometric.startsWith('YBR_FULL') && pixels.bitsAllocated === 8) {
            ybrFullToRgb(decoded.samples);
            outPhotometric = 'RGB';
          }
          frames.push(applyBitsStored(decoded.samples, pixels));
        }
      }
    }
  } catch (error) {
    if (error instanceof UnsupportedTransferSyntaxError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new DicomDecodeError(`cannot decode pixel data: ${message}`, { path, cause: error });
  }
  return { pixels: { ...pixels, photometricInterpretation: outPhotometric }, frames };
}
