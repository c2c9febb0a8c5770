import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { describe, expect, it } from 'vitest';
import { runMedseg, temporaryFolder } from './support/cli.js';

/**
 * nibabel reads our label map; the reference is the IBSI's NIfTI (for an RTSTRUCT) or dcmqi's NRRD (for a SEG),
 * parsed here with numpy. Prints the number of differing voxels, the reference's foreground, and the largest
 * affine difference (NRRD: LPS origin and spacing turned to RAS).
 */
const compare = `
import sys, gzip, re, json, numpy as np, nibabel as nib
ours = nib.load(sys.argv[1]); ref_path = sys.argv[2]
a = np.asanyarray(ours.dataobj) > 0
if ref_path.endswith('.nrrd'):
    raw = open(ref_path, 'rb').read(); i = raw.index(b'\\n\\n'); header = raw[:i].decode()
    sizes = [int(v) for v in re.search(r'sizes: (.*)', header).group(1).split()]
    b = np.frombuffer(gzip.decompress(raw[i + 2:]), '<i2').reshape(sizes[::-1]).transpose(2, 1, 0) > 0
    dirs = [[float(x) for x in d.split(',')] for d in re.findall(r'\\(([^)]*)\\)', re.search(r'space directions: (.*)', header).group(1))]
    origin = [float(x) for x in re.search(r'space origin: \\((.*)\\)', header).group(1).split(',')]
    ref_affine = np.eye(4); ref_affine[:3, :3] = np.array(dirs).T; ref_affine[:3, 3] = origin
    ref_affine = np.diag([-1, -1, 1, 1]) @ ref_affine
else:
    ref = nib.load(ref_path); b = np.asanyarray(ref.dataobj) > 0; ref_affine = ref.affine
print(json.dumps({"differing": int((a != b).sum()), "foreground": int(b.sum()), "affine": float(np.abs(ours.affine - ref_affine).max())}))`;

function compareWith(ours: string, reference: string): { differing: number; foreground: number; affine: number } {
  const result = spawnSync(debianPython, ['-c', compare, ours, reference], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { differing: number; foreground: number; affine: number };
}

describe('medseg convert --mask', () => {
  it('writes an RTSTRUCT as a label map on the series grid, equal to the IBSI mask', () => {
    const out = join(temporaryFolder('convert-mask'), 'STS_007_mask.nii.gz');
    const result = runMedseg(['convert', sharedPath('data/sts/dicom/STS_007/image'), '--mask', sharedPath('data/sts/dicom/STS_007/mask/RS.dcm'), '--roi', 'GTV*', '-o', out]);
    expect(result.status, result.stderr).toBe(0);
    const comparison = compareWith(out, sharedPath('data/sts/nifti/STS_007/MR_T1_mask.nii.gz'));
    expect(comparison.foreground).toBeGreaterThan(0);
    expect(comparison.differing).toBe(0);
    expect(comparison.affine).toBeLessThan(1e-3);
  });

  it("writes a SEG on its CT slices, equal to dcmqi's NRRD label map", () => {
    const out = join(temporaryFolder('convert-seg'), 'liver.nii.gz');
    const segmentations = sharedPath('data/seg/dcmqi/data/segmentations');
    const result = runMedseg(['convert', join(segmentations, 'ct-3slice'), '--mask', join(segmentations, 'liver.dcm'), '-o', out]);
    expect(result.status, result.stderr).toBe(0);
    const comparison = compareWith(out, join(segmentations, 'liver_seg.nrrd'));
    expect(comparison.foreground).toBeGreaterThan(0);
    expect(comparison.differing).toBe(0);
    expect(comparison.affine).toBeLessThan(1e-3);
  });

  it('fails naming the mask when it belongs to another series', () => {
    const result = runMedseg(['convert', sharedPath('data/sts/dicom/STS_007/image'), '--mask', sharedPath('data/sts/dicom/STS_008/mask/RS.dcm'), '-o', join(temporaryFolder('convert-bad'), 'x.nii.gz')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/STS_008\/mask\/RS\.dcm: rtstruct references series .* not among the images/);
  });
});
