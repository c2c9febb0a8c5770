import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import sharp, { type OutputInfo } from 'sharp';
import { MaskError } from './maskErrors.js';

/**
 * Reads a folder of per-slice PNG masks onto a series' slices. Naming rule: a file is matched to a slice by its
 * name without extension, either the slice's SOP Instance UID (`1.2.840....png`) or its 0-based index in volume
 * order (`7.png`, `0007.png`, `slice_0007.png`: the last run of digits). Slices without a file are background.
 * A pixel's grey value is its class label, except that a binary PNG (values 0 and 255 only) is class 1.
 */
export async function readPngMasks(folder: string, shape: readonly [number, number, number], sopInstanceUids: readonly string[] = []): Promise<Uint8Array> {
  const [columns, rows, slices] = shape;
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => extname(name).toLowerCase() === '.png').sort();
  } catch (error) {
    throw new MaskError(`cannot list PNG masks (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path: folder, cause: error });
  }
  if (names.length === 0) throw new MaskError('no .png files in the mask folder', { path: folder });
  const sliceByUid = new Map(sopInstanceUids.map((uid, index) => [uid, index]));
  const labels = new Uint8Array(columns * rows * slices);
  const planes: { slice: number; pixels: Uint8Array; path: string }[] = [];
  let binary = true;
  for (const name of names) {
    const path = join(folder, name);
    const stem = basename(name, extname(name));
    const digits = /(\d+)(?!.*\d)/.exec(stem);
    const slice = sliceByUid.get(stem) ?? (digits ? Number(digits[1]) : undefined);
    if (slice === undefined || slice < 0 || slice >= slices) {
      throw new MaskError(`cannot match '${name}' to one of the ${slices} slices (name it by slice index or SOP Instance UID)`, { path });
    }
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      // The header's size is checked before decoding, so a PNG claiming 100000 x 100000 is never inflated.
      const header = await sharp(path).metadata();
      if (header.width !== columns || header.height !== rows) {
        throw new MaskError(`mask is ${header.width}x${header.height} but the image slice is ${columns}x${rows} (mismatched grids)`, { path });
      }
      decoded = await sharp(path, { limitInputPixels: columns * rows }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    } catch (error) {
      if (error instanceof MaskError) throw error;
      throw new MaskError(`not a readable PNG (${(error as Error).message})`, { path, cause: error });
    }
    if (decoded.info.width !== columns || decoded.info.height !== rows) {
      throw new MaskError(`mask is ${decoded.info.width}x${decoded.info.height} but the image slice is ${columns}x${rows} (mismatched grids)`, { path });
    }
    const pixels = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, columns * rows);
    if (binary && pixels.some((v) => v !== 0 && v !== 255)) binary = false;
    planes.push({ slice, pixels, path });
  }
  for (const { slice, pixels } of planes) {
    const offset = slice * columns * rows;
    for (let i = 0; i < pixels.length; i++) labels[offset + i] = binary ? (pixels[i]! > 0 ? 1 : 0) : pixels[i]!;
  }
  return labels;
}
