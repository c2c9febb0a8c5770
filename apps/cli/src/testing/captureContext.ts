import { PassThrough } from 'node:stream';
import type { CliContext } from '../context.js';

/** A CLI context whose output is collected, for running commands in-process in tests. */
export function captureContext(overrides: Partial<Pick<CliContext, 'env' | 'cwd'>> = {}): { context: CliContext; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { context: { stdout, stderr, env: overrides.env ?? {}, cwd: overrides.cwd ?? process.cwd(), isTTY: false }, out: () => out, err: () => err };
}
