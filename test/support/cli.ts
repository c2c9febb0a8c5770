import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot, sharedPath } from '@medseg/data/testing';

/** The real bin, as users run it (built by the `cli:build` target that the integration tests depend on). */
export const medsegBin = resolve(repoRoot, 'apps/cli/bin/medseg.js');

/** The bin; `cwd` is where relative paths in `args` start (default: the test process's). */
export function runMedseg(args: readonly string[], options: { timeout?: number; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [medsegBin, ...args], { encoding: 'utf8', timeout: options.timeout ?? 600_000, maxBuffer: 1 << 24, env: { ...process.env, CI: 'true' }, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
}

export function spawnMedseg(args: readonly string[]) {
  return spawn(process.execPath, [medsegBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function temporaryFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `medseg-${prefix}-`));
}

/** A study tree of some STS patients made of symbolic links into ../shared (the data is never copied). */
export function stsSubset(patients: readonly string[], parts: readonly ('image' | 'mask')[] = ['image', 'mask']): string {
  const root = temporaryFolder('sts');
  for (const patient of patients) {
    mkdirSync(join(root, patient));
    for (const part of parts) symlinkSync(sharedPath('data/sts/dicom', patient, part), join(root, patient, part));
  }
  return root;
}

export const stsPatient = (n: number): string => `STS_${String(n).padStart(3, '0')}`;
