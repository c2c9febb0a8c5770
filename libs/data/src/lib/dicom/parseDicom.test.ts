import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import { getDecimals, getString, getUint16 } from './dicomValues.js';
import { DicomParseError } from './errors.js';
import { parseDicomBytes } from './parseDicom.js';
import { Tag, TransferSyntax } from './tags.js';

const testFiles = (name: string): string => sharedPath('data/dicom/pydicom/test_files', name);

/** What pydicom (force=True) reads from a file: encoding and a few attributes. */
function pydicomView(path: string): { implicit: boolean; little: boolean; rows: number | null; position: number[]; patientId: string; elements: number } {
  const code = `
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1], force=True)
print(json.dumps({"implicit": ds.is_implicit_VR, "little": ds.is_little_endian, "rows": ds.get("Rows"),
                  "position": [float(v) for v in ds.get("ImagePositionPatient", [])],
                  "patientId": str(ds.get("PatientID", "")), "elements": len(ds)}))`;
  const result = spawnSync(debianPython, ['-c', code, path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as ReturnType<typeof pydicomView>;
}

describe('parseDicomBytes', () => {
  it.each([
    ['ExplVR_LitEndNoMeta.dcm', TransferSyntax.ExplicitVrLittleEndian],
    ['ExplVR_BigEndNoMeta.dcm', TransferSyntax.ExplicitVrBigEndian],
    ['MR_small_implicit.dcm', TransferSyntax.ImplicitVrLittleEndian],
    ['MR_small_bigendian.dcm', TransferSyntax.ExplicitVrBigEndian],
  ])('reads %s like pydicom does', (name, syntax) => {
    const path = testFiles(name);
    const dataset = parseDicomBytes(readFileSync(path), path);
    const expected = pydicomView(path);
    expect(dataset.transferSyntaxUid).toBe(syntax);
    expect(syntax === TransferSyntax.ImplicitVrLittleEndian).toBe(expected.implicit);
    expect(syntax !== TransferSyntax.ExplicitVrBigEndian).toBe(expected.little);
    expect(getUint16(dataset.raw, Tag.Rows) ?? null).toBe(expected.rows);
    expect(getDecimals(dataset.raw, Tag.ImagePositionPatient)).toEqual(expected.position);
    expect(getString(dataset.raw, Tag.PatientId) ?? '').toBe(expected.patientId);
    // Same number of top-level elements (pydicom's count has no group 0002 for these files either).
    expect(Object.keys(dataset.raw.elements).filter((t) => !t.startsWith('x0002')).length).toBe(expected.elements);
  });

  it('files without preamble infer their syntax; files with one take it from the meta header', () => {
    const noMeta = parseDicomBytes(readFileSync(testFiles('ExplVR_LitEndNoMeta.dcm')), 'a');
    expect([noMeta.hasPreamble, noMeta.transferSyntaxFromMeta]).toEqual([false, false]);
    const part10 = parseDicomBytes(readFileSync(testFiles('CT_small.dcm')), 'b');
    expect([part10.hasPreamble, part10.transferSyntaxFromMeta]).toEqual([true, true]);
  });

  it('reads an implicit VR data set stored under an explicit transfer syntax, as pydicom does', () => {
    const path = testFiles('SC_rgb_jpeg.dcm');
    const dataset = parseDicomBytes(readFileSync(path), path);
    expect(dataset.transferSyntaxUid).toBe(TransferSyntax.JpegBaseline);
    expect(getUint16(dataset.raw, Tag.Rows) ?? null).toBe(pydicomView(path).rows);
  });

  it('rejects non-DICOM bytes with a DicomParseError naming the file', () => {
    const path = sharedPath('data/dicom/pydicom/test_files/README.txt');
    expect(() => parseDicomBytes(readFileSync(path), path)).toThrow(DicomParseError);
    expect(() => parseDicomBytes(new Uint8Array(10), 'tiny.dcm')).toThrow(/^tiny\.dcm: not a DICOM file/);
  });

  it('rejects a truncated data set with a DicomParseError', () => {
    const bytes = readFileSync(testFiles('CT_small.dcm'));
    let error: unknown;
    try {
      parseDicomBytes(bytes.subarray(0, 700), 'cut.dcm');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DicomParseError);
    expect((error as DicomParseError).path).toBe('cut.dcm');
  });
});
