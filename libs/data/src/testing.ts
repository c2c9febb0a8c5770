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
