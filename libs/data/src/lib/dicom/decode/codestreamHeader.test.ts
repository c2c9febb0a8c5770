import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../testing.js';
import { parseDicomBytes } from '../parseDicom.js';
import { readPixelDescription } from '../pixelDescription.js';
import { splitEncapsulatedFrames } from './encapsulatedFrames.js';
import { hasEndMarker, readCodestreamSize } from './codestreamHeader.js';

// The codestream sizes of real files must equal their DICOM Rows/Columns (what pydicom's headers say).
const files = [
  'dicom/pydicom-data/JPEG-LL.dcm',
  'dicom/pydicom/test_files/JPGExtended.dcm',
  'dicom/pydicom/test_files/SC_rgb_jpeg_dcmtk.dcm',
  'dicom/pydicom/test_files/MR_small_jpeg_ls_lossless.dcm',
  'dicom/pydicom/test_files/MR_small_jp2klossless.dcm',
  'dicom/pydicom-data/HTJ2KLossless_08_RGB.dcm',
];

describe('codestream headers', () => {
  it.each(files)('%s: SOF/SIZ size equals Rows x Columns and the stream ends with its marker', (name) => {
    const dataset = parseDicomBytes(readFileSync(sharedPath('data', name)), name);
    const pixels = readPixelDescription(dataset);
    const [frame] = splitEncapsulatedFrames(dataset.raw, dataset.raw.elements[pixels.pixelDataTag]!, pixels.numberOfFrames);
    expect(readCodestreamSize(frame!)).toEqual({ width: pixels.columns, height: pixels.rows, components: pixels.samplesPerPixel });
    expect(hasEndMarker(frame!)).toBe(true);
    expect(hasEndMarker(frame!.subarray(0, frame!.length >> 1))).toBe(false);
  });

  it('gives undefined for what is not a codestream', () => {
    expect(readCodestreamSize(Buffer.from('hello world'))).toBeUndefined();
    expect(readCodestreamSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeUndefined();
  });
});
