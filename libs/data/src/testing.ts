import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository checkout. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** `../shared` beside the checkout: real data that tests read in place and never copy. */
export const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(repoRoot, '../shared');

export function sharedPath(...parts: string[]): string {
  return resolve(sharedRoot, ...parts);
}

/** Debian's Python, which owns python3-pydicom, -nibabel, -scipy and -skimage (not the pyenv one on PATH). */
export const debianPython = '/usr/bin/python3';

/**
 * Evaluates a numpy/scipy expression on a row-major float32 plane, bound to `a` (float64, height x width, with
 * `np` and scipy's `ndimage` imported), in Debian's Python, and returns the result as float32.
 */
export async function numpyOnPlane(plane: Float32Array, height: number, width: number, expression: string): Promise<Float32Array> {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const file = resolve(mkdtempSync(resolve(tmpdir(), 'medseg-numpy-')), 'plane.f32');
  writeFileSync(file, plane);
  const script = `import sys, numpy as np
from scipy import ndimage
a = np.fromfile(sys.argv[1], dtype='<f4').reshape(${height}, ${width}).astype(np.float64)
sys.stdout.buffer.write(np.ascontiguousarray(${expression}).astype('<f4').tobytes())`;
  const result = spawnSync(debianPython, ['-c', script, file], { maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return new Float32Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength / 4);
}

/** One axial slice of an IBSI STS case (image and mask, row-major), read from ../shared. */
export async function readStsSlice(patient: string, z: number): Promise<{ image: Float32Array; mask: Uint8Array; width: number; height: number }> {
  const { readNifti } = await import('./lib/nifti/readNifti.js');
  const image = await readNifti(sharedPath(`data/sts/nifti/${patient}/MR_T1_image.nii.gz`));
  const labels = await readNifti(sharedPath(`data/sts/nifti/${patient}/MR_T1_mask.nii.gz`));
  const [width, height] = image.shape;
  const range = [z * width * height, (z + 1) * width * height] as const;
  return { image: Float32Array.from(image.data.subarray(...range)), mask: Uint8Array.from(labels.data.subarray(...range)), width, height };
}

/**
 * Runs a script with Debian's Python (numpy, scipy, skimage, nibabel): `input` arrives as JSON on stdin as
 * `inp`, and the script prints one JSON value, which is returned. Expectations come from here at test time.
 */
export function runPython<T>(script: string, input: unknown = null): T {
  const prelude = 'import json, sys\ninp = json.loads(sys.stdin.read())\n';
  const result = spawnSync(debianPython, ['-c', prelude + script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
