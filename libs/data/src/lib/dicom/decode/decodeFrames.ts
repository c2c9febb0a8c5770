import type { VoxelArray } from '../../volume.js';
import { DicomDecodeError, UnsupportedTransferSyntaxError } from '../errors.js';
import type { DicomDataset } from '../parseDicom.js';
import type { PixelDescription } from '../pixelDescription.js';
import { TransferSyntax, transferSyntaxName } from '../tags.js';
import { inflateCapped } from '../../limits/inflateCapped.js';
import { ResourceLimitError } from '../../limits/resourceLimits.js';
import { hasEndMarker, readCodestreamSize } from './codestreamHeader.js';
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
 * The codestream's own header must agree with the DICOM one before a codec sees it (a patched SOF or SIZ would
 * otherwise make the codec allocate for 65535 x 65535 or 2^31 x 2^31), and the stream must be whole.
 */
function checkCodestream(bytes: Uint8Array, pixels: PixelDescription): void {
  const size = readCodestreamSize(bytes);
  if (size && (size.width !== pixels.columns || size.height !== pixels.rows)) {
    throw new Error(`codestream header says ${size.width}x${size.height}, the DICOM header ${pixels.columns}x${pixels.rows}`);
  }
  if ((bytes[0] === 0xff && (bytes[1] === 0xd8 || bytes[1] === 0x4f)) && !hasEndMarker(bytes)) {
    throw new Error(`codestream is truncated (${bytes.length} bytes, no end-of-image marker)`);
  }
}

/**
 * Codec failures arrive as Errors, strings, or (from WebAssembly builds) bare numbers that point into the
 * module's memory: the last say nothing, so they are named for what they are.
 */
function describeCodecError(error: unknown): string {
  if (typeof error === 'number') return `the codec failed (internal exception ${error}; the stream is corrupt)`;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
  if (/^\d+$/.test(message.trim())) return `the codec failed (internal exception ${message.trim()}; the stream is corrupt)`;
  if (/IOException|throw new/i.test(message)) return `the stream is corrupt (the decoder said: ${message.trim()})`;
  return message;
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
  // Which frame is being decoded, for the error message (1-based; 0 before the frames are split).
  let current = 0;
  try {
    if (nativeSyntaxes.has(transferSyntaxUid)) {
      for (const index of indices) {
        current = index + 1;
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
        current = index + 1;
        const bytes = encoded[index];
        if (!bytes) throw new Error(`no such frame (the pixel data holds ${encoded.length})`);
        if (transferSyntaxUid === TransferSyntax.DeflatedImageFrameCompression) {
          // Each frame is a raw deflate stream of native pixels (PS3.5 A.4.11), inflated no further than a frame.
          const frameBytes = Math.ceil((pixelCount * pixels.samplesPerPixel * pixels.bitsAllocated) / 8);
          let frame = nativeFrameFromBytes(inflateCapped(bytes, 'raw', path, frameBytes + 1), pixels);
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
          checkCodestream(bytes, pixels);
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
    if (error instanceof UnsupportedTransferSyntaxError || error instanceof ResourceLimitError) throw error;
    const where = current === 0 ? 'pixel data' : `frame ${current} of ${pixels.numberOfFrames}`;
    throw new DicomDecodeError(`${transferSyntaxName(transferSyntaxUid)} ${where} does not decode: ${describeCodecError(error)}`, {
      path,
      cause: error,
      codec: transferSyntaxName(transferSyntaxUid),
      frame: current === 0 ? undefined : current,
    });
  }
  return { pixels: { ...pixels, photometricInterpretation: outPhotometric }, frames };
}
