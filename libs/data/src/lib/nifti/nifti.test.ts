import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import type { Vec3, Volume } from '../volume.js';
import { voxelToRasMatrix } from '../volume.js';
import { NiftiDatatype } from './niftiDatatype.js';
import { NiftiReadError } from './niftiErrors.js';
import { readNifti } from './readNifti.js';
import { writeNifti } from './writeNifti.js';

interface NibabelView {
  shape: number[];
  affine: number[][];
  qform: number[][];
  dtype: string;
  sha256: string;
}

/** nibabel's reading of a file: shape, best affine, qform, stored dtype, and a hash of the voxels (x fastest). */
function nibabel(path: string): NibabelView {
  const script = `
import sys, json, hashlib, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
data = np.asanyarray(img.dataobj)
print(json.dumps({"shape": list(img.shape), "affine": img.affine.tolist(), "qform": img.get_qform().tolist(),
  "dtype": str(img.get_data_dtype()), "sha256": hashlib.sha256(data.tobytes(order="F")).hexdigest()}))`;
  const result = spawnSync(debianPython, ['-c', script, path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as NibabelView;
}

const sha256 = (data: ArrayBufferView): string =>
  createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');

function expectMatrixClose(actual: number[][], expected: number[][], tolerance: number): void {
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect(Math.abs(actual[r]![c]! - expected[r]![c]!)).toBeLessThan(tolerance);
}

/** An oblique, left-handed grid: rotation about an arbitrary axis, anisotropic spacing, a flipped slice axis. */
function obliqueVolume<T extends Volume['data']>(data: T, shape: Vec3): Volume<T> {
  const t = 0.3;
  const row: Vec3 = [Math.cos(t), Math.sin(t), 0];
  const col: Vec3 = [-Math.sin(t) * Math.cos(0.2), Math.cos(t) * Math.cos(0.2), Math.sin(0.2)];
  const normal: Vec3 = [
    -(row[1] * col[2] - row[2] * col[1]),
    -(row[2] * col[0] - row[0] * col[2]),
    -(row[0] * col[1] - row[1] * col[0]),
  ];
  return { data, shape, spacing: [0.7, 0.9, 2.5], origin: [-120.5, 33.25, 17], direction: [row, col, normal] };
}

describe('readNifti', () => {
  it('reads the IBSI STS mask exactly as nibabel does', async () => {
    const path = sharedPath('data/sts/nifti/STS_001/MR_T1_mask.nii.gz');
    const reference = nibabel(path);
    const volume = await readNifti(path);
    expect([...volume.shape]).toEqual(reference.shape);
    expect(volume.data).toBeInstanceOf(Uint8Array);
    expect(sha256(volume.data)).toBe(reference.sha256);
    expectMatrixClose(voxelToRasMatrix(volume), reference.affine, 1e-4);
  });

  it('rejects a truncated file and a non-NIfTI file with the path in the error', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'nifti-'));
    const truncated = join(folder, 'truncated.nii');
    const whole = readFileSync(sharedPath('data/dicom/dcm_qa_ts/Ref/1.nii'));
    writeFileSync(truncated, whole.subarray(0, whole.length - 100));
    await expect(readNifti(truncated)).rejects.toThrow(NiftiReadError);
    await expect(readNifti(truncated)).rejects.toThrow(`${truncated}: truncated`);
    const text = join(folder, 'notes.nii');
    writeFileSync(text, 'x'.repeat(400));
    await expect(readNifti(text)).rejects.toThrow(`${text}: not a NIfTI-1 file`);
  });
});

describe('writeNifti', () => {
  it('writes an oblique int16 volume whose voxels, sform and qform nibabel reads back', async () => {
    const shape: Vec3 = [7, 5, 4];
    const data = Int16Array.from({ length: 140 }, (_, i) => (i * 37) % 2001 - 1000);
    const volume = obliqueVolume(data, shape);
    const path = join(mkdtempSync(join(tmpdir(), 'nifti-')), 'oblique.nii.gz');
    await writeNifti(path, volume);
    const reference = nibabel(path);
    expect(reference.shape).toEqual([7, 5, 4]);
    expect(reference.dtype).toBe('int16');
    expect(reference.sha256).toBe(sha256(data));
    expectMatrixClose(reference.affine, voxelToRasMatrix(volume), 1e-4);
    // The qform is rebuilt from our quaternion: it must describe the same (rigid, left-handed) grid.
    expectMatrixClose(reference.qform, voxelToRasMatrix(volume), 1e-4);
  });

  it('round-trips geometry and converts to a requested datatype', async () => {
    const shape: Vec3 = [3, 2, 2];
    const volume = obliqueVolume(Float32Array.from({ length: 12 }, (_, i) => i + 0.4), shape);
    const path = join(mkdtempSync(join(tmpdir(), 'nifti-')), 'labels.nii');
    await writeNifti(path, volume, { datatype: NiftiDatatype.Uint8, labelMap: true });
    const back = await readNifti(path);
    expect(back.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (let a = 0; a < 3; a++) {
      expect(back.spacing[a]).toBeCloseTo(volume.spacing[a]!, 5);
      expect(back.origin[a]).toBeCloseTo(volume.origin[a]!, 4);
      for (let b = 0; b < 3; b++) expect(back.direction[a]![b]).toBeCloseTo(volume.direction[a]![b]!, 5);
    }
    expect(nibabel(path).dtype).toBe('uint8');
  });
});
