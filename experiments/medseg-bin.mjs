// @ts-check
// What the experiment scripts share: where the repository and ../shared are, and the built `medseg` bin run as a
// user runs it, each command printed first.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(import.meta.url), '../..');
export const shared = process.env['MEDSEG_SHARED'] ?? resolve(root, '../shared');
export const bin = join(root, 'apps/cli/bin/medseg.js');

/** A command line as a shell would take it. @param {string[]} argv */
export const quote = (argv) => argv.map((a) => (/[\s*,]/.test(a) ? `'${a}'` : a)).join(' ');

/**
 * Runs `medseg ARGV` to completion (stderr, the progress, passes through) and returns its stdout and wall time;
 * throws when it fails. @param {string[]} argv
 */
export function medseg(argv) {
  console.log(`$ medseg ${quote(argv)}`);
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`medseg ${argv[0]} failed (exit ${result.status})`);
  return { stdout: result.stdout, seconds: (performance.now() - started) / 1000 };
}
