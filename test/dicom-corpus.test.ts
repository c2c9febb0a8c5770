import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DicomFile, MedsegError, NoPixelDataError, readDicomFile, type VoxelArray } from '@medseg/data';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';

// Every file of the conformance corpus either decodes to the pixels an independent decoder gives (pydicom with
// GDCM/Pillow, dcmtk, Pillow's OpenJPEG for HTJ2K; see dicom-reference.py), or is listed here with the reason.
const corpus = sharedPath('data/dicom');

/** Files medseg cannot decode, on purpose, with the typed error it must give and why. */
const expectedFailures = new Map<string, RegExp>([
  // A data set cut at an arbitrary byte, without meta header: pydicom reads it only with force, as one element.
  ['pydicom/test_files/no_meta.dcm', /not a DICOM file/],
  // Pixel data cut short (8130 of 8192 bytes): the element overruns the file. pydicom refuses it too.
  ['pydicom/test_files/MR_truncated.dcm', /malformed.*overrun/],
  // An RT plan (no pixels) cut inside an element; pydicom keeps the elements before the cut.
  ['pydicom/test_files/rtplan_truncated.dcm', /malformed/],
  // Pixel data but no image pixel module (no Rows, Columns, ...); pydicom refuses it too.
  ['pydicom/test_files/meta_missing_tsyntax.dcm', /Rows\/Columns/],
  // A DICOMDIR whose record offsets point outside the file: dicom-parser rejects it (it holds no image anyway).
  ['pydicom/test_files/dicomdirtests/DICOMDIR-nooffset', /malformed/],
  // The JPEG 2000 codestream's SIZ segment holds a sequence delimiter (fe ff dd e0) where the image size
  // belongs; medseg refuses the codestream size before OpenJPEG sees it (GDCM takes the size from the DICOM
  // header instead).
  ['pydicom/test_files/JPEG2000-embedded-sequence-delimiter.dcm', /Jpeg2000 frame 1 of 1 does not decode: codestream header says/],
]);

/**
 * Files checked against a sibling, the same image in another transfer syntax decoded by the reference: pydicom
 * 2.3 cannot decode 1-bit RLE, GDCM aborts on these 1-bit JPEG 2000 files and Pillow widens their samples.
 */
const siblings = new Map<string, string>([
  ['pydicom-data/liver_rle.dcm', 'pydicom-data/liver.dcm'],
  ['pydicom-data/liver_nonbyte_aligned_rle.dcm', 'pydicom-data/liver_nonbyte_aligned.dcm'],
  ['pydicom-data/liver_j2k.dcm', 'pydicom-data/liver.dcm'],
  ['pydicom-data/liver_nonbyte_aligned_j2k.dcm', 'pydicom-data/liver_nonbyte_aligned.dcm'],
  // Its sequence delimiter is missing, so pydicom drops Pixel Data; all 10 fragments are complete.
  ['pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm', 'pydicom-data/emri_small.dcm'],
]);

/** Decoded by medseg although no reference decoder can read them. */
const decodeWithoutReference = new Map<string, string>([
  // pydicom 2.3 raises a TypeError formatting the invalid VR; the pixels are native 32-bit MONOCHROME2.
  ['pydicom/test_files/badVR.dcm', 'native 32-bit'],
]);

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !/\.(txt|md|json|nii|dump|gz)$|LICENSE|README|copyright|MISSING/.test(p))
    .sort();
}

interface Reference {
  ok: boolean;
  error?: string;
  file?: string;
  dtype?: string;
  shape?: number[];
  photometric?: string;
  transferSyntax?: string;
  decoder?: string;
  tolerance?: number;
}

let outDir = '';
let references: Record<string, Reference> = {};
const files = listFiles(corpus);

function referenceValues(entry: Reference): Float64Array | Int32Array {
  const bytes = readFileSync(join(outDir, entry.file!));
  const copy = new Uint8Array(bytes).buffer;
  return entry.dtype === '<i4' ? new Int32Array(copy) : new Float64Array(copy);
}

function concatFrames(file: DicomFile): number[] | VoxelArray {
  if (file.frames.length === 1) return file.frames[0]!;
  const total = file.frames.reduce((n, f) => n + f.length, 0);
  const out = new Float64Array(total);
  let at = 0;
  for (const f of file.frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'medseg-dicom-ref-'));
  const result = spawnSync(debianPython, [join(repoRoot, 'test/dicom-reference.py'), outDir, ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`reference decoder failed: ${result.stderr.slice(-2000)}`);
  references = JSON.parse(readFileSync(join(outDir, 'index.json'), 'utf8')) as Record<string, Reference>;
}, 300_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('DICOM conformance corpus', () => {
  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(250);
    expect(statSync(corpus).isDirectory()).toBe(true);
  });

  it.each(files.map((f) => [relative(corpus, f)]))('%s', async (name) => {
    const path = join(corpus, name);
    const reference = references[path];
    expect(reference, 'reference entry').toBeDefined();
    const expectedError = expectedFailures.get(name);
    let file: DicomFile | undefined;
    let error: unknown;
    try {
      file = await readDicomFile(path);
    } catch (e) {
      error = e;
    }
    if (expectedError) {
      expect(error, 'a typed error').toBeInstanceOf(MedsegError);
      expect((error as Error).message).toMatch(expectedError);
      return;
    }
    const sibling = siblings.get(name);
    if (sibling) {
      if (error) throw error;
      const siblingRef = references[join(corpus, sibling)]!;
      expect(siblingRef.ok).toBe(true);
      const expected = referenceValues(siblingRef);
      expect(concatFrames(file!).length).toBe(expected.length);
      expect(maxDifference(concatFrames(file!), expected)).toBe(0);
      return;
    }
    if (!reference!.ok) {
      if (decodeWithoutReference.has(name)) {
        expect(error).toBeUndefined();
        return;
      }
      // The reference finds no image: neither do we, and we say so with a typed error.
      expect(error, `reference: ${reference!.error}`).toBeInstanceOf(NoPixelDataError);
      return;
    }
    if (error) throw error;
    const expected = referenceValues(reference!);
    const actual = concatFrames(file!);
    expect(actual.length).toBe(expected.length);
    // Lossless syntaxes: tolerance 0. Lossy ones: the spread of two reference decoders; where only one exists
    // (lossy HTJ2K: Pillow's OpenJPEG alone), one grey level, the rounding of an irreversible wavelet.
    const tolerance = reference!.tolerance === -1 ? 1 : reference!.tolerance!;
    expect(maxDifference(actual, expected), `decoder ${reference!.decoder}, ${reference!.transferSyntax}`).toBeLessThanOrEqual(tolerance);
  });
});
