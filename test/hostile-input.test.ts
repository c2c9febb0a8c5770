import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DatasetError,
  DicomDecodeError,
  MedsegError,
  NiftiReadError,
  PathEscapeError,
  type DatasetManifest,
  parseDicomBytes,
  readDatasetCase,
  readDatasetManifest,
  readDicomFile,
  readNifti,
  Tag,
} from '@medseg/data';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { medsegBin, runMedseg, stsPatient, temporaryFolder } from './support/cli.js';

// One block per defect of issue 17. Every input is made here from ../shared files: pydicom edits headers
// (support/hostile_inputs.py), byte surgery cuts codestreams. Each block checks the outcome the issue asks for.

const pydicomFile = (name: string) => sharedPath('data/dicom/pydicom/test_files', name);
const pydicomData = (name: string) => sharedPath('data/dicom/pydicom-data', name);
const stsImage = (n: number) => sharedPath('data/sts/dicom', stsPatient(n), 'image');
const stsRtstruct = (n: number) => sharedPath('data/sts/dicom', stsPatient(n), 'mask/RS.dcm');
const stsNiftiMask = (n: number) => sharedPath('data/sts/nifti', stsPatient(n), 'MR_T1_mask.nii.gz');

function hostile(jobs: object[]): void {
  const result = spawnSync(debianPython, [resolve(repoRoot, 'test/support/hostile_inputs.py'), JSON.stringify(jobs)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`hostile_inputs.py failed: ${result.stderr}`);
}

/** Runs the bin under a V8 heap cap and reports its peak resident memory (MB). */
function runCapped(args: readonly string[], heapMb = 512): { status: number | null; stdout: string; stderr: string; peakMb: number } {
  const result = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, '-r', resolve(repoRoot, 'test/support/maxrss.cjs'), medsegBin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CI: 'true' },
  });
  const match = /medseg-test-maxrss-kb=(\d+)/.exec(result.stderr);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, peakMb: match ? Number(match[1]) / 1024 : Number.NaN };
}

/** The items of encapsulated pixel data: [start of the first fragment item, fragment values, end of the delimiter]. */
function fragmentsOf(bytes: Buffer): { prefixEnd: number; bot: Buffer; fragments: Buffer[]; rest: Buffer } {
  const dataset = parseDicomBytes(bytes, 'x');
  const element = dataset.raw.elements[Tag.PixelData]!;
  // parseDicomBytes hands dicom-parser the data set after the meta header: find where that starts in `bytes`.
  const base = bytes.length - (dataset.raw.byteArray as Uint8Array).length;
  let at = base + element.dataOffset;
  const botLength = bytes.readUInt32LE(at + 4);
  const bot = bytes.subarray(at, at + 8 + botLength);
  const prefixEnd = at;
  at += 8 + botLength;
  const fragments: Buffer[] = [];
  while (bytes.readUInt32LE(at) === 0xe000fffe) {
    const length = bytes.readUInt32LE(at + 4);
    fragments.push(bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return { prefixEnd, bot, fragments, rest: bytes.subarray(at + 8) };
}

/** The file with its pixel data fragments replaced (the Basic Offset Table kept, so use on one-frame files). */
function withFragments(bytes: Buffer, edit: (fragments: Buffer[]) => Buffer[]): Buffer {
  const { prefixEnd, bot, fragments, rest } = fragmentsOf(bytes);
  const items = edit(fragments).flatMap((f) => {
    const even = f.length % 2 ? Buffer.concat([f, Buffer.from([0])]) : f;
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0xe000fffe, 0);
    header.writeUInt32LE(even.length, 4);
    return [header, even];
  });
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([bytes.subarray(0, prefixEnd), bot, ...items, delimiter, rest]);
}

const halve = (fragments: Buffer[]) => {
  const whole = Buffer.concat(fragments);
  return [whole.subarray(0, whole.length >> 1)];
};

describe('1: manifest paths stay inside the dataset', () => {
  const root = temporaryFolder('escape');
  const dataset = join(root, 'ds');
  const outside = join(root, 'outside.nii.gz');
  const write = (cases: object[]) => {
    mkdirSync(join(dataset, 'cases/c1'), { recursive: true });
    writeFileSync(join(dataset, 'manifest.json'), JSON.stringify({ schemaVersion: 1, classes: ['background', 'roi'], cases }));
  };
  beforeAll(() => writeFileSync(outside, readFileSync(stsNiftiMask(1))));

  it("refuses a case id of '../../../../tmp/x' (it would name files predict writes) and duplicate ids", async () => {
    write([{ id: '../../../../tmp/x', files: { image: 'cases/c1/image.nii.gz', mask: 'cases/c1/mask.nii.gz' } }]);
    await expect(readDatasetManifest(dataset)).rejects.toThrow(DatasetError);
    await expect(readDatasetManifest(dataset)).rejects.toThrow(/cases\[0\]\.id "..\/..\/..\/..\/tmp\/x" is not a safe case ID/);
    write([
      { id: 'a', files: { image: 'cases/a/image.nii.gz', mask: 'cases/a/mask.nii.gz' } },
      { id: 'A', files: { image: 'cases/b/image.nii.gz', mask: 'cases/b/mask.nii.gz' } },
    ]);
    await expect(readDatasetManifest(dataset)).rejects.toThrow(/'A' is used by another case/);
  });

  it('refuses files.image and files.mask that lead outside the dataset, naming the manifest', async () => {
    for (const image of ['../outside.nii.gz', outside, 'cases/../../outside.nii.gz']) {
      write([{ id: 'c1', files: { image, mask: 'cases/c1/mask.nii.gz' } }]);
      const error = await readDatasetManifest(dataset).catch((e: unknown) => e);
      expect(error, image).toBeInstanceOf(PathEscapeError);
      expect((error as PathEscapeError).path).toBe(join(dataset, 'manifest.json'));
      const entry = { id: 'c1', files: { image, mask: 'cases/c1/mask.nii.gz' } } as unknown as DatasetManifest['cases'][number];
      await expect(readDatasetCase(dataset, entry)).rejects.toThrow(PathEscapeError);
    }
  });

  it('eval refuses a dataset whose mask path climbs out (exit 1, nothing read from outside)', () => {
    write([{ id: 'c1', patientId: 'P1', files: { image: 'cases/c1/image.nii.gz', mask: '../outside.nii.gz' } }]);
    const pred = join(root, 'pred');
    mkdirSync(pred, { recursive: true });
    writeFileSync(join(pred, 'c1.nii.gz'), readFileSync(stsNiftiMask(1)));
    const result = runMedseg(['eval', '--pred', pred, '--truth', dataset, '--out', join(root, 'report')]);
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/manifest\.json: path "\.\.\/outside\.nii\.gz" leads outside/);
    expect(existsSync(join(root, 'report', 'metrics.json'))).toBe(false);
  });
});

describe('2: sizes from headers are checked before allocation', () => {
  const root = temporaryFolder('bombs');
  beforeAll(() => {
    hostile([
      { op: 'set', src: pydicomFile('CT_small.dcm'), out: join(root, 'frames.dcm'), set: [['00280008', 'IS', '2147483647']] },
      { op: 'set', src: pydicomFile('CT_small.dcm'), out: join(root, 'deflate.dcm'), deflate_private_bytes: 64 * 2 ** 20 },
    ]);
  });

  it('NumberOfFrames 2147483647 in a small file: info refuses it at once, naming the file and the bytes present', () => {
    const result = runCapped(['info', join(root, 'frames.dcm')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/frames\.dcm: no readable DICOM files \(1 skipped; the pixel data \(2147483647 frames of 128x128x1\) is 35,184,372,072,448 voxels, over the limit of 268,435,456 \(--max-voxels\)\)/);
    expect(result.peakMb).toBeLessThan(400);
  });

  it('a deflated data set whose body inflates past the cap is refused while inflating', () => {
    expect(readFileSync(join(root, 'deflate.dcm')).length).toBeLessThan(2 ** 20); // 64 MiB of zeros, deflated
    const result = runCapped(['--max-voxels', '1000000', 'info', join(root, 'deflate.dcm')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/deflate\.dcm: no readable DICOM files \(1 skipped; deflate stream inflates to more than 4,000,000 bytes/);
    expect(result.peakMb).toBeLessThan(400);
    // Under the default limit the same file is read (64 MiB is a legitimate size).
    expect(runCapped(['info', '--json', join(root, 'deflate.dcm')]).status).toBe(0);
  });

  it('a gzipped NIfTI mask that inflates past the cap: convert --mask refuses it', () => {
    const header = Buffer.from(gunzipSync(readFileSync(stsNiftiMask(1))).subarray(0, 352));
    header.writeInt16LE(3, 40);
    for (const [i, v] of [1000, 1000, 100].entries()) header.writeInt16LE(v, 42 + 2 * i);
    const bomb = join(root, 'bomb.nii.gz');
    writeFileSync(bomb, gzipSync(Buffer.concat([header, Buffer.alloc(1000 * 1000 * 100)])));
    expect(readFileSync(bomb).length).toBeLessThan(2 ** 20);
    const result = runCapped(['--max-voxels', '1000000', 'convert', stsImage(1), '--mask', bomb, '-o', join(root, 'mask.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/bomb\.nii\.gz: gzip stream inflates to more than 4,000,000 bytes/);
    expect(result.peakMb).toBeLessThan(700);
  });

  it('PixelSpacing 60 resampled by ingest --spacing 1 is refused before the grid is allocated', () => {
    const tree = join(root, 'spacing');
    hostile([{ op: 'series', src: sharedPath('data/sts/dicom', stsPatient(1)), out: join(tree, stsPatient(1)), set: [['00280030', 'DS', '60\\60']] }]);
    const result = runCapped(['ingest', '--images', tree, '--out', join(root, 'ds'), '--spacing', '1', '--json'], 1024);
    expect(result.status).toBe(1); // the only case is skipped: nothing to write
    expect(result.stderr).toMatch(/resampling 174x158x59 to 1 mm gives 10440x9480x59, which is 5,839,300,800 voxels, over the limit of 268,435,456/);
    expect(result.peakMb).toBeLessThan(1024);
  });

  it('a JPEG 2000 SIZ of 0x7FFFFFFF is refused before OpenJPEG allocates', async () => {
    const bytes = withFragments(readFileSync(pydicomFile('MR_small_jp2klossless.dcm')), (fragments) => {
      const stream = Buffer.from(Buffer.concat(fragments));
      const siz = stream.indexOf(Buffer.from([0xff, 0x51]));
      stream.writeUInt32BE(0x7fffffff, siz + 6);
      stream.writeUInt32BE(0x7fffffff, siz + 10);
      return [stream];
    });
    const path = join(root, 'siz.dcm');
    writeFileSync(path, bytes);
    const error = await readDicomFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomDecodeError);
    expect((error as Error).message).toBe(`${path}: Jpeg2000Lossless frame 1 of 1 does not decode: codestream header says 2147483647x2147483647, the DICOM header 64x64`);
    const result = runCapped(['convert', path, '-o', join(root, 'siz.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.peakMb).toBeLessThan(400);
  });
});

describe('3: names from data are safe, bounded and unique', () => {
  const root = temporaryFolder('collide');
  beforeAll(() => {
    hostile([
      { op: 'series', src: sharedPath('data/sts/dicom', stsPatient(1)), out: join(root, 'tree', 'a'), set: [['00100020', 'LO', 'Smith^John']] },
      { op: 'series', src: sharedPath('data/sts/dicom', stsPatient(2)), out: join(root, 'tree', 'b'), set: [['00100020', 'LO', 'Smith John']] },
    ]);
  });

  it("ingest: 'Smith^John' and 'Smith John' are two cases on disk, each with a suffix from its SeriesInstanceUID", () => {
    const dataset = join(root, 'ds');
    const result = runMedseg(['ingest', '--images', join(root, 'tree'), '--out', dataset, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as DatasetManifest;
    expect(manifest.cases).toHaveLength(2);
    const ids = manifest.cases.map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
    for (const c of manifest.cases) {
      expect(c.id).toMatch(/^Smith_John_[0-9a-f]{8}$/);
      expect(existsSync(join(dataset, c.files.mask))).toBe(true);
    }
    // The manifest records the mapping: each ID beside the PatientID and series it came from.
    expect(manifest.cases.map((c) => c.patientId).sort()).toEqual(['Smith John', 'Smith^John']);
    expect(readdirSync(join(dataset, 'cases')).sort()).toEqual([...ids].sort());
  });

  it('convert: the two series become two files', () => {
    const out = join(root, 'nifti');
    const result = runMedseg(['convert', join(root, 'tree'), '-o', out, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { converted: { output: string }[] };
    expect(new Set(report.converted.map((c) => c.output)).size).toBe(2);
    expect(readdirSync(out).filter((f) => f.endsWith('.nii.gz'))).toHaveLength(2);
  });
});

describe('5: a full, read-only or impossible output folder is an error that names the path', () => {
  const root = temporaryFolder('disk');
  const canMount = (() => {
    const probe = join(root, 'probe');
    mkdirSync(probe);
    const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe]).status === 0;
    if (ok) spawnSync('umount', [probe]);
    return ok;
  })();

  it(canMount ? 'ingest onto a 2 MB file system exits 1 with ENOSPC and the path' : 'ingest into a folder it may not write exits 1 with EACCES and the path', () => {
    const out = join(root, 'small');
    mkdirSync(out);
    if (canMount) expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', out]).status).toBe(0);
    else spawnSync('chmod', ['555', out]);
    try {
      const result = runMedseg(['ingest', '--images', sharedPath('data/sts/dicom', stsPatient(1)), '--out', join(out, 'ds')]);
      expect(result.status).toBe(1);
      const expected = canMount ? /medseg: \/\S+\/small\/ds\/\S+: cannot write: no space left on the device \(ENOSPC\)/ : /medseg: \/\S+\/small\/ds\S*: cannot write: permission denied \(EACCES\)/;
      expect(result.stderr).toMatch(expected);
      expect(result.stderr).not.toMatch(/skipped/);
    } finally {
      if (canMount) spawnSync('umount', [out]);
    }
  });

  it(canMount ? 'convert onto a read-only file system: EROFS and the path' : 'convert into a folder it may not write: EACCES and the path', () => {
    const out = join(root, 'ro');
    mkdirSync(out);
    if (canMount) expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', out]).status).toBe(0);
    else spawnSync('chmod', ['555', out]);
    try {
      const result = runMedseg(['convert', stsImage(1), '-o', join(out, 'x.nii.gz')]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(canMount ? /medseg: \/\S+\/ro\/x\.nii\.gz: cannot write: the file system is read-only \(EROFS\)/ : /medseg: \/\S+\/ro\S*: cannot write: permission denied \(EACCES\)/);
    } finally {
      if (canMount) spawnSync('umount', [out]);
    }
  });

  it('an output path under a file: ENOTDIR said in words, naming the path', () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const result = runMedseg(['ingest', '--images', sharedPath('data/sts/dicom', stsPatient(1)), '--out', join(file, 'ds')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/medseg: \S*a-file\/ds\S*: cannot write: a part of the path is a file, not a folder \(ENOTDIR\)/);
  });
});

describe('6: corrupt compressed frames are typed errors naming codec, file and frame', () => {
  const root = temporaryFolder('codecs');
  const cases: [string, string, string, (fragments: Buffer[]) => Buffer[], RegExp][] = [
    ['JPEG lossless cut in half', pydicomData('JPEG-LL.dcm'), 'JpegLossless', halve, /truncated/],
    ['12-bit JPEG cut in half', pydicomFile('JPGExtended.dcm'), 'JpegExtended', halve, /truncated/],
    ['JPEG baseline cut in half', pydicomFile('SC_rgb_jpeg_dcmtk.dcm'), 'JpegBaseline', halve, /truncated/],
    ['JPEG lossless SOF patched to 65535', pydicomData('JPEG-LL.dcm'), 'JpegLossless', (fragments) => {
      const stream = Buffer.from(Buffer.concat(fragments));
      const sof = stream.indexOf(Buffer.from([0xff, 0xc3]));
      stream.writeUInt16BE(65535, sof + 5);
      stream.writeUInt16BE(65535, sof + 7);
      return [stream];
    }, /codestream header says 65535x65535/],
    ['RLE segment far too short', pydicomFile('MR_small_RLE.dcm'), 'RleLossless', (fragments) => {
      const frame = Buffer.concat(fragments);
      return [frame.subarray(0, Math.floor(frame.length * 0.6))];
    }, /RLE segment \d+ decodes to \d+ bytes, the frame needs 4096/],
  ];

  let written = 0;
  it.each(cases)('%s', async (_name, source, codec, edit, reason) => {
    const path = join(root, `${codec}-${(written += 1)}.dcm`);
    writeFileSync(path, withFragments(readFileSync(source), edit));
    const error = await readDicomFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DicomDecodeError);
    const decode = error as DicomDecodeError;
    expect(decode.path).toBe(path);
    expect(decode.codec).toBe(codec);
    expect(decode.frame).toBe(1);
    expect(decode.message).toMatch(new RegExp(`^${path}: ${codec} frame 1 of 1 does not decode: `));
    expect(decode.message).toMatch(reason);
  });

  it('convert exits 1 on such a file and says which', () => {
    const path = join(root, 'cut.dcm');
    writeFileSync(path, withFragments(readFileSync(pydicomData('JPEG-LL.dcm')), halve));
    const result = runMedseg(['convert', path, '-o', join(root, 'cut.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`not converted: ${path}: JpegLossless frame 1 of 1 does not decode: codestream is truncated`);
  });
});

describe('7: impossible geometry, non-finite rescale and absurd contours are reported', () => {
  const root = temporaryFolder('geometry');
  const variants: [string, string, string, string][] = [
    ['zero-spacing', '00280030', 'LO', '0\\0'],
    ['nan-spacing', '00280030', 'LO', 'NaN\\NaN'],
    ['text-spacing', '00280030', 'LO', 'abc\\def'],
    ['zero-orientation', '00200037', 'LO', '0\\0\\0\\0\\0\\0'],
  ];
  beforeAll(() => {
    hostile([
      ...variants.map(([name, tag, vr, value]) => ({ op: 'set', src: pydicomFile('CT_small.dcm'), out: join(root, `${name}.dcm`), set: [[tag, vr, value]] })),
      { op: 'set', src: pydicomFile('CT_small.dcm'), out: join(root, 'slope.dcm'), set: [['00281053', 'DS', '1e308']] },
      { op: 'contour', src: stsRtstruct(1), out: join(root, 'RS-far.dcm'), x: 1e15 },
    ]);
  });

  it.each(variants)('%s is a problem that info lists, not a silent 1 mm / identity', (name, _tag, _vr, value) => {
    const result = runMedseg(['info', '--json', join(root, `${name}.dcm`)]);
    expect(result.status, result.stderr).toBe(0);
    const [series] = (JSON.parse(result.stdout) as { series: { problems: { kind: string; message: string }[] }[] }).series;
    const kind = name.endsWith('orientation') ? 'invalid-orientation' : 'invalid-spacing';
    const problem = series!.problems.find((p) => p.kind === kind);
    expect(problem?.message).toContain(`'${value}'`);
  });

  it('RescaleSlope 1e308 (+inf voxels) is refused, naming the file', () => {
    const result = runMedseg(['convert', join(root, 'slope.dcm'), '-o', join(root, 'slope.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/slope\.dcm: RescaleSlope 1e\+308 .* give values beyond float32/);
    expect(existsSync(join(root, 'slope.nii.gz'))).toBe(false);
  });

  it('NIfTI masks with zero or negative dims, or scl_slope 1e38, are refused', async () => {
    const original = gunzipSync(readFileSync(stsNiftiMask(1)));
    const patched = (name: string, edit: (b: Buffer) => void) => {
      const bytes = Buffer.from(original);
      edit(bytes);
      const path = join(root, name);
      writeFileSync(path, gzipSync(bytes));
      return path;
    };
    const negative = patched('neg.nii.gz', (b) => b.writeInt16LE(-5, 42));
    const zero = patched('zero.nii.gz', (b) => b.writeInt16LE(0, 44));
    await expect(readNifti(negative)).rejects.toThrow(`${negative}: dim = [3, -5,`);
    await expect(readNifti(zero)).rejects.toThrow(/has a zero or negative size/);
    const slope = patched('slope.nii.gz', (b) => b.writeFloatLE(1e38, 112));
    const result = runMedseg(['convert', stsImage(1), '--mask', slope, '-o', join(root, 'm.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/slope\.nii\.gz: not a label map: voxel \d+ holds 9\.99999\d*e\+37/);
  });

  it('an RTSTRUCT point at x = 1e15 mm is refused instead of changing the mask', () => {
    const result = runMedseg(['convert', stsImage(1), '--mask', join(root, 'RS-far.dcm'), '-o', join(root, 'far.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/RS-far\.dcm: ROI '\*': 1 contour\(s\) have a point far outside the image .*\(1000000000000000, /);
  });
});

describe('8: one bad series never aborts the batch', () => {
  it('a 300-character PatientID: convert writes both series under bounded names', () => {
    const root = temporaryFolder('long');
    hostile([{ op: 'series', src: stsImage(1), out: join(root, 'tree', 'long'), set: [['00100020', 'LO', 'P'.repeat(300)]] }]);
    symlinkSync(stsImage(2), join(root, 'tree', 'ok'));
    const out = join(root, 'out');
    const result = runMedseg(['convert', join(root, 'tree'), '-o', out, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const names = readdirSync(out).filter((name) => name !== '.medseg-output.json');
    expect(names).toHaveLength(2);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(64 + '.nii.gz'.length);
  });
});

describe('9: errors say what happened and name the file', () => {
  const root = temporaryFolder('errors');

  it('a corrupt JPEG-LS stream names the codec and frame, not a bare number', async () => {
    const path = join(root, 'jls.dcm');
    writeFileSync(path, withFragments(readFileSync(pydicomFile('MR_small_jpeg_ls_lossless.dcm')), (fragments) => {
      const stream = Buffer.from(Buffer.concat(fragments));
      stream.fill(0xff, 40, stream.length - 2); // header intact, scan data destroyed, EOI kept
      return [stream];
    }));
    const error = await readDicomFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MedsegError);
    expect((error as Error).message).toMatch(new RegExp(`^${path}: JpegLsLossless frame 1 of 1 does not decode: `));
    expect((error as Error).message).not.toMatch(/decode: \d+$/);
  });

  it('a NIfTI vox_offset of NaN and a file that is not NIfTI: typed errors with the path', async () => {
    const bytes = Buffer.from(gunzipSync(readFileSync(stsNiftiMask(1))));
    bytes.writeFloatLE(Number.NaN, 108);
    const nan = join(root, 'nan.nii');
    writeFileSync(nan, bytes);
    await expect(readNifti(nan)).rejects.toThrow(new NiftiReadError('vox_offset NaN is not a valid byte offset', { path: nan }).message);
    const notNifti = join(root, 'not.nii');
    writeFileSync(notNifti, Buffer.alloc(400, 7));
    await expect(readNifti(notNifti)).rejects.toThrow(`${notNifti}: not a NIfTI-1 file`);
  });
});

describe('10: output injection', () => {
  it("info's text output shows a PatientID with ANSI escapes and newlines as one inert line", () => {
    const root = temporaryFolder('ansi');
    hostile([{ op: 'set', src: pydicomFile('CT_small.dcm'), out: join(root, 'ansi.dcm'), set: [['00100020', 'LO', '\u001b[2J\u001b[HX\nFORGED line\r']] }]);
    const result = runMedseg(['info', join(root, 'ansi.dcm')]);
    expect(result.status, result.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- no control characters may reach the terminal
    expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(result.stdout.split('\n').some((line) => line.startsWith('FORGED'))).toBe(false);
    expect(result.stdout).toContain('patient ?[2J?[HX?FORGED line, CT');
  });

  it('a PatientID starting with = is neutralised in metrics.csv (OWASP)', () => {
    const root = temporaryFolder('csv');
    const truth = join(root, 'truth');
    const pred = join(root, 'pred');
    mkdirSync(join(truth, 'cases/c1'), { recursive: true });
    mkdirSync(pred);
    writeFileSync(join(truth, 'cases/c1/mask.nii.gz'), readFileSync(stsNiftiMask(1)));
    writeFileSync(join(pred, 'c1.nii.gz'), readFileSync(stsNiftiMask(1)));
    writeFileSync(join(truth, 'manifest.json'), JSON.stringify({ schemaVersion: 1, classes: ['background', 'roi'], cases: [{ id: 'c1', patientId: '=HYPERLINK("http://x","y")', files: { mask: 'cases/c1/mask.nii.gz', image: 'cases/c1/image.nii.gz' } }] }));
    const result = runMedseg(['eval', '--pred', pred, '--truth', truth, '--out', join(root, 'report'), '--resamples', '100', '--no-per-slice']);
    expect(result.status, result.stderr).toBe(0);
    const row = readFileSync(join(root, 'report', 'metrics.csv'), 'utf8').split('\n')[1]!;
    expect(row.startsWith(`c1,"'=HYPERLINK(""http://x"",""y"")",1,`)).toBe(true);
  });
});
