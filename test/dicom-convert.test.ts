import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanDicomTree } from '@medseg/data';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';

const work = mkdtempSync(join(tmpdir(), 'medseg-convert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// End to end: the real bin, as users run it (the integration target builds the CLI first).
const bin = join(repoRoot, 'apps/cli/bin/medseg.js');
function medseg(...args: string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

interface ReferenceComparison {
  dicom: string;
  shape: number[];
  referenceShape: number[];
  dtype: string;
  maxVoxelDifference: number | null;
  maxAffineDifference: number;
  maxQformDifference: number;
  sformCode: number;
}

describe('medseg convert', () => {
  it('writes STS series whose voxels and affine match pydicom + nibabel', () => {
    const cases = ['STS_001', 'STS_002', 'STS_003'];
    const pairs: string[] = [];
    for (const id of cases) {
      const dicom = sharedPath('data/sts/dicom', id, 'image');
      const out = join(work, `${id}.nii.gz`);
      const result = medseg('convert', dicom, '-o', out);
      expect(result.status, result.err).toBe(0);
      expect(result.out).toContain(out);
      pairs.push(dicom, out);
    }
    const result = spawnSync(debianPython, [join(repoRoot, 'test/dicom-convert-reference.py'), ...pairs], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const comparisons = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as ReferenceComparison);
    expect(comparisons).toHaveLength(cases.length);
    for (const c of comparisons) {
      expect(c.shape, c.dicom).toEqual(c.referenceShape);
      expect(c.maxVoxelDifference, c.dicom).toBe(0);
      // NIfTI stores the affine as float32: compare at its precision (millimetres).
      expect(c.maxAffineDifference, c.dicom).toBeLessThan(1e-4);
      expect(c.maxQformDifference, c.dicom).toBeLessThan(1e-3);
      expect(c.sformCode).toBe(1);
      // MR magnitudes with an identity rescale stay integers.
      expect(c.dtype).toBe('int16');
    }
  });

  it('converts every series of a folder into its own file and lists the files it skipped', async () => {
    const dicom = sharedPath('data/dicom/pydicom/test_files/dicomdirtests');
    const scan = await scanDicomTree(dicom);
    const out = join(work, 'many');
    const result = medseg('convert', dicom, '-o', out, '--json');
    expect(result.status, result.err).toBe(0);
    const report = JSON.parse(result.out) as { converted: { output: string }[]; failed: unknown[]; skipped: { path: string; reason: string }[] };
    expect(report.converted.length + report.failed.length).toBe(scan.series.length);
    expect(report.converted.length).toBeGreaterThan(1);
    expect(readdirSync(out).filter((f) => f.endsWith('.nii.gz'))).toHaveLength(report.converted.length);
    for (const c of report.converted) expect(existsSync(c.output)).toBe(true);
    // The folder holds README files: not DICOM, skipped with a reason.
    expect(report.skipped.some((s) => /README/.test(s.path) && /not a DICOM file/.test(s.reason))).toBe(true);
  });

  it('refuses a single .nii output for several series (exit 1) and a missing -o (exit 2)', async () => {
    const dicom = sharedPath('data/dicom/pydicom/test_files/dicomdirtests');
    const single = medseg('convert', dicom, '-o', join(work, 'x.nii'));
    expect(single.status).toBe(1);
    expect(single.err).toMatch(/give a folder/);
    expect(medseg('convert', dicom).status).toBe(2);
    // A name with another extension is a usage error, not a folder called x.txt.
    const txt = medseg('convert', dicom, '-o', join(work, 'x.txt'));
    expect(txt.status).toBe(2);
    expect(txt.err).toContain('--output');
    expect(existsSync(join(work, 'x.txt'))).toBe(false);
  });

  it('refuses to convert into a folder or file that holds other output, and replaces it with --overwrite', () => {
    const dicom = sharedPath('data/dicom/pydicom/test_files/dicomdirtests');
    const out = join(work, 'many');
    const again = medseg('convert', dicom, '-o', out);
    expect(again.status).toBe(1);
    expect(again.err).toContain(`${out}: already holds the output of an earlier 'medseg convert'; pass --overwrite`);
    writeFileSync(join(out, 'stale.nii.gz'), 'left from another series');
    const replaced = medseg('convert', dicom, '-o', out, '--overwrite');
    expect(replaced.status, replaced.err).toBe(0);
    expect(existsSync(join(out, 'stale.nii.gz'))).toBe(false);
    const series = sharedPath('data/sts/dicom/STS_003/image');
    const file = join(work, 'one.nii.gz');
    expect(medseg('convert', series, '-o', file).status).toBe(0);
    const twice = medseg('convert', series, '-o', file);
    expect(twice.status).toBe(1);
    expect(twice.err).toContain(`${file}: already exists; pass --overwrite`);
    expect(medseg('convert', series, '-o', file, '--overwrite').status).toBe(0);
  });
});

describe('medseg info', () => {
  it('reports the series of a tree, with non-image objects, from the real bin', () => {
    const result = medseg('info', sharedPath('data/sts/dicom/STS_001'), '--json');
    expect(result.status, result.err).toBe(0);
    const info = JSON.parse(result.out) as {
      series: { modality: string; size: number[]; spacing: number[]; files: number; transferSyntaxes: string[]; problems: unknown[] }[];
      others: { modality: string; path: string }[];
    };
    const files = readdirSync(sharedPath('data/sts/dicom/STS_001/image')).length;
    expect(info.series).toHaveLength(1);
    expect(info.series[0]!.modality).toBe('MR');
    expect(info.series[0]!.files).toBe(files);
    expect(info.series[0]!.size[2]).toBe(files);
    expect(info.series[0]!.transferSyntaxes).toEqual(['ExplicitVrLittleEndian']);
    expect(info.series[0]!.problems).toEqual([]);
    expect(info.others.map((o) => o.modality)).toEqual(['RTSTRUCT']);
  });

  it('exits 1 with the path for a folder without DICOM', () => {
    const result = medseg('info', sharedPath('data/sts/nifti/STS_001'));
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/STS_001: no readable DICOM files/);
  });
});
