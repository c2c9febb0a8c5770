import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DatasetManifest, readNifti } from '@medseg/data';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { describe, expect, it } from 'vitest';
import { runMedseg, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';

async function expectIbsiMask(dataset: string, caseId: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as DatasetManifest;
  const entry = manifest.cases.find((c) => c.id === caseId);
  expect(entry, `case ${caseId}`).toBeDefined();
  const ours = await readNifti(join(dataset, entry!.files.mask));
  const ibsi = await readNifti(sharedPath('data/sts/nifti', caseId, 'MR_T1_mask.nii.gz'));
  let differing = 0;
  ibsi.data.forEach((v, i) => (v > 0) !== (ours.data[i]! > 0) && differing++);
  expect(entry!.foregroundVoxels).toBeGreaterThan(0);
  expect(differing).toBe(0);
}

describe('medseg ingest with NIfTI and PNG ground truth', () => {
  it('pairs IBSI-layout NIfTI masks (PATIENT/…mask.nii.gz) by patient ID', async () => {
    const out = join(temporaryFolder('nifti-masks'), 'ds');
    const result = runMedseg(['ingest', '--images', stsSubset([5, 9].map(stsPatient), ['image']), '--masks', sharedPath('data/sts/nifti'), '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    await expectIbsiMask(out, 'STS_005');
    await expectIbsiMask(out, 'STS_009');
  });

  it('resamples a NIfTI mask stored on another grid and reads PNG slices named by index', async () => {
    const masks = temporaryFolder('masks');
    // nibabel writes STS_005's mask with its column axis reversed (same physical mask, different grid), and PIL
    // writes STS_009's mask as one binary PNG per slice.
    const script = `
import sys, os, numpy as np, nibabel as nib
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
m = nib.load(os.path.join(src, 'STS_005/MR_T1_mask.nii.gz'))
flip = np.diag([-1.0, 1, 1, 1]); flip[0, 3] = m.shape[0] - 1
nib.save(nib.Nifti1Image(np.asanyarray(m.dataobj)[::-1], m.affine @ flip), os.path.join(out, 'STS_005.nii.gz'))
m = np.asanyarray(nib.load(os.path.join(src, 'STS_009/MR_T1_mask.nii.gz')).dataobj)
os.makedirs(os.path.join(out, 'STS_009'))
for z in range(m.shape[2]):
    Image.fromarray((m[:, :, z].T > 0).astype(np.uint8) * 255).save(os.path.join(out, 'STS_009', 'slice_%04d.png' % z))`;
    const made = spawnSync(debianPython, ['-c', script, sharedPath('data/sts/nifti'), masks], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const out = join(temporaryFolder('mixed-masks'), 'ds');
    const result = runMedseg(['ingest', '--images', stsSubset([5, 9].map(stsPatient), ['image']), '--masks', masks, '--out', out]);
    expect(result.status, result.stderr).toBe(0);
    await expectIbsiMask(out, 'STS_005');
    await expectIbsiMask(out, 'STS_009');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as DatasetManifest;
    expect(manifest.cases.map((c) => c.source.maskKind)).toEqual(['nifti', 'png']);
  });
});
