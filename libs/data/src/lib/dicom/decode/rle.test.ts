import { describe, expect, it } from 'vitest';
import { readDicomFile } from '../readDicomFile.js';
import { sharedPath } from '../../../testing.js';
import type { PixelDescription } from '../pixelDescription.js';
import { decodeRle } from './rle.js';

const pixels = (rows: number, columns: number, bitsAllocated: number, samplesPerPixel = 1): PixelDescription => ({
  rows,
  columns,
  samplesPerPixel,
  photometricInterpretation: samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
  planarConfiguration: 0,
  bitsAllocated,
  bitsStored: bitsAllocated,
  highBit: bitsAllocated - 1,
  pixelRepresentation: 0,
  numberOfFrames: 1,
  pixelDataTag: 'x7fe00010',
});

/** An RLE frame: the 64-byte header (segment count and offsets) followed by the segments. */
function rleFrame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += segment.length;
  });
  return Uint8Array.from([...header, ...segments.flat()]);
}

describe('decodeRle', () => {
  it('unpacks PackBits runs and literals (the example of Apple TN1023)', () => {
    const packed = [0xfe, 0xaa, 0x02, 0x80, 0x00, 0x2a, 0xfd, 0xaa, 0x03, 0x80, 0x00, 0x2a, 0x22, 0xf7, 0xaa];
    const unpacked = [0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0xaa, 0xaa, 0xaa, 0xaa, 0x80, 0x00, 0x2a, 0x22, ...Array(10).fill(0xaa)];
    expect(Array.from(decodeRle(rleFrame([packed]), pixels(4, 6, 8)))).toEqual(unpacked);
  });

  it('joins byte planes most significant first into 16-bit samples', () => {
    // High bytes 0x01 0x02, low bytes 0xff 0x00: samples 0x01ff and 0x0200.
    const frame = rleFrame([[0x01, 0x01, 0x02], [0x01, 0xff, 0x00]]);
    expect(Array.from(decodeRle(frame, pixels(1, 2, 16)))).toEqual([0x01ff, 0x0200]);
  });

  it('interleaves one segment per colour sample', () => {
    const frame = rleFrame([[0xff, 10], [0xff, 20], [0xff, 30]]);
    expect(Array.from(decodeRle(frame, pixels(1, 2, 8, 3)))).toEqual([10, 20, 30, 10, 20, 30]);
  });

  it('rejects a frame whose segment count does not fit the pixel description', () => {
    expect(() => decodeRle(rleFrame([[0x00, 1]]), pixels(1, 1, 16))).toThrow(/1 segments, expected 2/);
  });

  it('decodes a real RLE file to the same pixels as its uncompressed original', async () => {
    const rle = await readDicomFile(sharedPath('data/dicom/pydicom/test_files/MR_small_RLE.dcm'));
    const native = await readDicomFile(sharedPath('data/dicom/pydicom/test_files/MR_small.dcm'));
    expect(Array.from(rle.frames[0]!)).toEqual(Array.from(native.frames[0]!));
  });
});
