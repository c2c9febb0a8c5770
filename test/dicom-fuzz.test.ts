import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng, decodeDicomDataset, MedsegError, parseDicomBytes, type Rng } from '@medseg/data';
import { sharedPath } from '@medseg/data/testing';

// Mutated real files must give either pixels or a typed MedsegError naming the file: never another exception,
// a crash or a hang. One file per decoder, so every code path meets broken input.
const seeds = [
  'dicom/pydicom/test_files/CT_small.dcm', // explicit little endian
  'dicom/pydicom/test_files/MR_small_implicit.dcm',
  'dicom/pydicom/test_files/MR_small_bigendian.dcm',
  'dicom/pydicom/test_files/image_dfl.dcm', // deflated
  'dicom/pydicom/test_files/MR_small_RLE.dcm',
  'dicom/pydicom/test_files/SC_rgb_jpeg_dcmtk.dcm', // JPEG baseline, YBR_FULL_422
  'dicom/pydicom/test_files/JPGExtended.dcm', // 12-bit JPEG
  'dicom/pydicom-data/JPEG-LL.dcm', // JPEG lossless
  'dicom/pydicom/test_files/MR_small_jpeg_ls_lossless.dcm',
  'dicom/pydicom/test_files/MR_small_jp2klossless.dcm',
  'dicom/pydicom-data/HTJ2KLossless_08_RGB.dcm',
  'dicom/dcm_qa_enh/In/Siemens/XA10/6_1.dcm', // enhanced multi-frame
  'sts/dicom/STS_001/mask/RS.dcm', // RTSTRUCT
];
const mutationsPerFile = 60;
const perCaseLimitMs = 5_000;

type Mutation = (bytes: Uint8Array, rng: Rng) => Uint8Array;

const mutations: Record<string, Mutation> = {
  truncate: (bytes, rng) => bytes.slice(0, rng.int(0, bytes.length + 1)),
  flipBytes: (bytes, rng) => {
    const out = bytes.slice();
    const count = rng.int(1, 16);
    for (let i = 0; i < count; i++) out[rng.int(0, out.length)] = rng.int(0, 256);
    return out;
  },
  // Lengths and tags live in the first kilobytes: hit them harder.
  flipHeader: (bytes, rng) => {
    const out = bytes.slice();
    for (let i = 0; i < 4; i++) out[rng.int(0, Math.min(out.length, 2048))] = rng.int(0, 256);
    return out;
  },
  zeroRange: (bytes, rng) => {
    const out = bytes.slice();
    const start = rng.int(0, out.length);
    out.fill(0, start, Math.min(out.length, start + rng.int(1, 512)));
    return out;
  },
  ffRange: (bytes, rng) => {
    const out = bytes.slice();
    const start = rng.int(0, out.length);
    out.fill(0xff, start, Math.min(out.length, start + rng.int(1, 64)));
    return out;
  },
  insertGarbage: (bytes, rng) => {
    const at = rng.int(0, bytes.length + 1);
    const garbage = Uint8Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 256));
    const out = new Uint8Array(bytes.length + garbage.length);
    out.set(bytes.subarray(0, at));
    out.set(garbage, at);
    out.set(bytes.subarray(at), at + garbage.length);
    return out;
  },
  tailOfPixels: (bytes, rng) => bytes.slice(0, bytes.length - rng.int(1, Math.min(4096, bytes.length))),
};

describe('DICOM reader on mutated files', () => {
  it.each(seeds.map((s) => [s]))('%s: only typed errors, no hang', async (name) => {
    const original = new Uint8Array(readFileSync(sharedPath('data', name)));
    const rng = createRng(20261128).child(name);
    const names = Object.keys(mutations);
    const outcomes = { decoded: 0, typedError: 0 };
    for (let i = 0; i < mutationsPerFile; i++) {
      const kind = names[i % names.length]!;
      const bytes = mutations[kind]!(original, rng);
      const path = `${name}#${kind}${i}`;
      const started = performance.now();
      try {
        const dataset = parseDicomBytes(bytes, path);
        await decodeDicomDataset(dataset);
        outcomes.decoded++;
      } catch (error) {
        if (!(error instanceof MedsegError)) throw new Error(`${path}: untyped ${String(error)}`, { cause: error });
        expect(error.path).toBe(path);
        outcomes.typedError++;
      }
      expect(performance.now() - started, path).toBeLessThan(perCaseLimitMs);
    }
    expect(outcomes.decoded + outcomes.typedError).toBe(mutationsPerFile);
  });
});
