import { readFile } from 'node:fs/promises';
import type { VoxelArray } from '../volume.js';
import { MedsegError } from '../errors.js';
import { DicomParseError } from './errors.js';
import { decodeFrames } from './decode/decodeFrames.js';
import { parseDicomBytes, type DicomDataset } from './parseDicom.js';
import { readPixelDescription, type PixelDescription } from './pixelDescription.js';

/** One DICOM file, parsed and with its frames decoded to stored values (colour as interleaved RGB). */
export interface DicomFile {
  readonly path: string;
  readonly dataset: DicomDataset;
  /** The pixel description of `frames` (after colour conversion). */
  readonly pixels: PixelDescription;
  readonly frames: VoxelArray[];
}

export interface ReadDicomFileOptions {
  /** Decode only these frames (0-based); `frames` then holds them in this order. */
  readonly frames?: readonly number[];
}

/** Reads the bytes of a file, naming it in the error when it cannot be read. */
export async function readDicomBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new DicomParseError(`cannot read file: ${(error as Error).message}`, { path, cause: error });
  }
}

/**
 * Reads, parses and decodes one file. Throws `DicomParseError`, `NoPixelDataError`,
 * `UnsupportedTransferSyntaxError`, `UnsupportedPixelFormatError` or `DicomDecodeError`, each naming the file.
 */
export async function readDicomFile(path: string, options: ReadDicomFileOptions = {}): Promise<DicomFile> {
  const dataset = parseDicomBytes(await readDicomBytes(path), path);
  return decodeDicomDataset(dataset, options);
}

/** Decodes the frames of an already parsed data set. */
export async function decodeDicomDataset(dataset: DicomDataset, options: ReadDicomFileOptions = {}): Promise<DicomFile> {
  let description: PixelDescription;
  try {
    description = readPixelDescription(dataset);
  } catch (error) {
    // dicom-parser reads values lazily: an element that runs past the end throws (a string) only when read.
    if (error instanceof MedsegError) throw error;
    throw new DicomParseError(`malformed image pixel module (${typeof error === 'string' ? error : (error as Error).message})`, { path: dataset.path, cause: error });
  }
  const decoded = await decodeFrames(dataset, description, options.frames);
  return { path: dataset.path, dataset, pixels: decoded.pixels, frames: decoded.frames };
}
