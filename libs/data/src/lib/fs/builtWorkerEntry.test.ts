import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MedsegError } from '../errors.js';
import { builtWorkerEntry } from './builtWorkerEntry.js';

describe('builtWorkerEntry', () => {
  it('takes the worker beside the module, else the built one under dist/, else names the missing file', () => {
    const root = mkdtempSync(join(tmpdir(), 'medseg-worker-entry-'));
    for (const dir of ['src/lib/x', 'dist/lib/x']) mkdirSync(join(root, dir), { recursive: true });
    const moduleUrl = pathToFileURL(join(root, 'src/lib/x/pool.ts')).href;
    expect(() => builtWorkerEntry(moduleUrl, 'worker.js')).toThrow(MedsegError);
    expect(() => builtWorkerEntry(moduleUrl, 'worker.js')).toThrow(`${join(root, 'dist/lib/x/worker.js')}: the worker worker.js is not built`);
    writeFileSync(join(root, 'dist/lib/x/worker.js'), '');
    expect(builtWorkerEntry(moduleUrl, 'worker.js').href).toBe(pathToFileURL(join(root, 'dist/lib/x/worker.js')).href);
    writeFileSync(join(root, 'src/lib/x/worker.js'), '');
    expect(builtWorkerEntry(moduleUrl, 'worker.js').href).toBe(pathToFileURL(join(root, 'src/lib/x/worker.js')).href);
  });
});
