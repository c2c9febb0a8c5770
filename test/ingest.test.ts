import { readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type DatasetManifest, readNifti, voxelToRasMatrix } from '@medseg/data';
import { sharedPath } from '@medseg/data/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMedseg, spawnMedseg, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';

const readManifest = (dataset: string) => JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as DatasetManifest;

function filesUnder(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

describe('medseg ingest on the 36 STS patients', () => {
  const dataset = join(temporaryFolder('ingest-all'), 'ds');
  let manifest: DatasetManifest;

  beforeAll(() => {
    const result = runMedseg(['ingest', '--images', sharedPath('data/sts/dicom'), '--roi', 'GTV*', '--out', dataset, '--val', '0.25', '--seed', '7', '--json']);
    expect(result.status, result.stderr).toBe(0);
    manifest = readManifest(dataset);
  });

  it('writes one case per patient, split by patient, with masks and previews', () => {
    expect(manifest.cases.map((c) => c.id)).toEqual(Array.from({ length: 36 }, (_, i) => stsPatient(i + 1)));
    expect(manifest.skipped).toEqual([]);
    expect(manifest.classes).toEqual(['background', 'GTV*']);
    expect(manifest.splits.train + manifest.splits.val).toBe(36);
    // Patients are ranked by a seeded hash and the fraction is taken exactly: a quarter of 36 is 9.
    expect(manifest.splits.val).toBe(9);
    const patientsBySplit = new Map<string, Set<string>>();
    for (const c of manifest.cases) {
      for (const [split, set] of patientsBySplit) if (split !== c.split) expect(set.has(c.patientId)).toBe(false);
      patientsBySplit.set(c.split, (patientsBySplit.get(c.split) ?? new Set()).add(c.patientId));
      expect(existsSync(join(dataset, c.files.preview))).toBe(true);
      expect(c.source.sopInstanceUids).toHaveLength(c.shape[2]);
    }
  });

  it('rasterises every RTSTRUCT on the DICOM grid exactly as the IBSI mask (voxel for voxel)', async () => {
    for (const c of manifest.cases) {
      const ours = await readNifti(join(dataset, c.files.mask));
      const ibsi = await readNifti(sharedPath('data/sts/nifti', c.id, 'MR_T1_mask.nii.gz'));
      expect(ours.shape).toEqual(ibsi.shape);
      const a = voxelToRasMatrix(ours);
      const b = voxelToRasMatrix(ibsi);
      for (let r = 0; r < 3; r++) for (let k = 0; k < 4; k++) expect(Math.abs(a[r]![k]! - b[r]![k]!)).toBeLessThan(1e-3);
      let differing = 0;
      let foreground = 0;
      for (let i = 0; i < ours.data.length; i++) {
        if ((ours.data[i]! > 0) !== (ibsi.data[i]! > 0)) differing++;
        if (ibsi.data[i]! > 0) foreground++;
      }
      expect(foreground).toBeGreaterThan(0);
      expect(differing, c.id).toBe(0);
      expect(c.foregroundVoxels).toBe(foreground);
    }
  });

  it('takes the fraction of a smaller set exactly, and keeps patients forced by pattern in their split', () => {
    const subset = [3, 8, 29, 33].map(stsPatient);
    const small = join(temporaryFolder('ingest-subset'), 'ds');
    const result = runMedseg(['ingest', '--images', stsSubset(subset), '--roi', 'GTV*', '--out', small, '--val', '0.25', '--seed', '7', '--test-patients', 'STS_029']);
    expect(result.status, result.stderr).toBe(0);
    const cases = readManifest(small).cases;
    expect(cases.find((c) => c.id === 'STS_029')!.split).toBe('test');
    // A quarter of four patients is one, and the forced test patient is not it.
    expect(cases.filter((c) => c.split === 'val')).toHaveLength(1);
    expect(cases.filter((c) => c.split === 'train')).toHaveLength(2);
  });
});

describe('medseg ingest resumes after a kill', () => {
  it('gives the same bytes as one uninterrupted run', async () => {
    const images = stsSubset([2, 6, 12, 19, 26].map(stsPatient));
    const whole = join(temporaryFolder('whole'), 'ds');
    const args = (out: string) => ['ingest', '--images', images, '--roi', 'GTV*', '--out', out, '--spacing', '1.5', '--size', '96'];
    expect(runMedseg(args(whole)).status).toBe(0);

    const interrupted = join(temporaryFolder('interrupted'), 'ds');
    const child = spawnMedseg(args(interrupted));
    const finished = () => (existsSync(join(interrupted, 'cases')) ? readdirSync(join(interrupted, 'cases')).filter((id) => existsSync(join(interrupted, 'cases', id, 'case.json'))).length : 0);
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (finished() >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 20);
      child.on('exit', (_code, signal) => {
        clearInterval(timer);
        if (signal === 'SIGKILL') resolve();
        else reject(new Error('ingest finished before it could be killed'));
      });
    });
    expect(existsSync(join(interrupted, 'manifest.json'))).toBe(false);
    // Its own unfinished dataset: refused without --resume (never continued or mixed silently), continued with it.
    const refused = runMedseg(args(interrupted));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${interrupted}: already holds the output of an earlier 'medseg ingest'; pass --resume to continue it or --overwrite to replace it`);
    const rerun = runMedseg([...args(interrupted), '--resume', '--json']);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect((JSON.parse(rerun.stdout) as { reused: number }).reused).toBeGreaterThanOrEqual(2);

    const expected = filesUnder(whole);
    const actual = filesUnder(interrupted);
    const visible = (files: Map<string, Buffer>) => [...files.keys()].filter((name) => !name.split('/').pop()!.startsWith('.tmp-')).sort();
    expect(visible(actual)).toEqual(visible(expected));
    for (const name of visible(expected)) expect(actual.get(name)!.equals(expected.get(name)!), name).toBe(true);
  });
});

describe('medseg ingest with bad input', () => {
  it('skips and reports bad files and unpaired masks, and still writes the good cases', () => {
    const root = stsSubset([stsPatient(3)]);
    // STS_001's images with STS_002's contour, which references another series.
    mkdirSync(join(root, 'STS_001'));
    symlinkSync(sharedPath('data/sts/dicom/STS_001/image'), join(root, 'STS_001', 'image'));
    symlinkSync(sharedPath('data/sts/dicom/STS_002/mask/RS.dcm'), join(root, 'STS_001', 'RS.dcm'));
    const truncated = readFileSync(sharedPath('data/sts/dicom/STS_003/image/000000.dcm'));
    writeFileSync(join(root, 'truncated.dcm'), truncated.subarray(0, 700));
    writeFileSync(join(root, 'notes.txt'), 'not DICOM');
    const out = join(temporaryFolder('bad'), 'ds');
    const result = runMedseg(['ingest', '--images', root, '--roi', 'GTV*', '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    const manifest = readManifest(out);
    expect(manifest.cases.map((c) => c.id)).toEqual(['STS_003']);
    const reasons = manifest.skipped.map((s) => `${s.path}: ${s.reason}`).join('\n');
    expect(reasons).toMatch(/STS_001\/RS\.dcm: rtstruct references series .* not among the images/);
    expect(reasons).toMatch(/STS_001\/image\/000000\.dcm: series .* no RTSTRUCT, SEG or mask file references it/);
    expect(reasons).toMatch(/truncated\.dcm: /);
    expect(reasons).toMatch(/notes\.txt: /);
    expect(result.stderr).toMatch(/skipped .*truncated\.dcm/);
  });

  it('fails with the ROI names when no ROI matches, writing no cases', () => {
    const out = join(temporaryFolder('noroi'), 'ds');
    const result = runMedseg(['ingest', '--images', stsSubset([stsPatient(4)]), '--roi', 'NOPE*', '--out', out]);
    expect(result.status).toBe(1);
    expect(readManifest(out).skipped.map((s) => s.reason).join('\n')).toMatch(/no ROI matches 'NOPE\*' \(ROIs: GTV_Mass/);
  });

  it('exits 2 for a bad option value', () => {
    const result = runMedseg(['ingest', '--images', '.', '--out', temporaryFolder('usage'), '--val', '3']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/option '--val <fraction>' argument '3' is invalid\. expected a number from 0 to 1/);
  });
});
