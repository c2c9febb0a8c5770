import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MedsegError } from '../errors.js';

/**
 * The compiled worker-thread entry `file` beside the module at `moduleUrl`; when that module runs from its
 * TypeScript sources (tests), the one `npm run build` put at the same place under dist/, since a worker thread
 * cannot load TypeScript.
 */
export function builtWorkerEntry(moduleUrl: string, file: string): URL {
  const beside = new URL(`./${file}`, moduleUrl);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL(`./${file}`, moduleUrl.replace(/\/src\/lib\//, '/dist/lib/'));
  if (existsSync(fileURLToPath(built))) return built;
  throw new MedsegError(`the worker ${file} is not built (run 'npm run build')`, { path: fileURLToPath(built) });
}
