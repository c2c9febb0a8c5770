import { MedsegError } from '../errors.js';
import { isInside } from './safeJoin.js';

// What the operating system's codes mean to a user (no errno numbers, no syscall jargon).
const meanings: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the file name is too long',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  ENOENT: 'no such file or folder',
  EEXIST: 'it already exists',
  EIO: 'input/output error (a failing disk or network file system)',
  EMFILE: 'too many open files',
  EBUSY: 'the file or folder is busy',
  EXDEV: 'cannot move across file systems',
};

// Codes that only writing can raise.
const writeOnlyCodes = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EEXIST', 'EXDEV']);

/** A Node.js system error (from `fs`): it has a `code` such as ENOSPC and usually the `path` it was about. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code!);
}

/**
 * A one-line description of a system error that names the path, in the form of every medseg error:
 * `/out/x.nii.gz: cannot write: no space left on the device (ENOSPC)`. Undefined for anything else.
 */
export function describeSystemError(error: unknown): string | undefined {
  if (!isSystemError(error)) return undefined;
  const code = error.code!;
  const syscall = error.syscall ?? '';
  const verb = writeOnlyCodes.has(code) || /^(write|rename|mkdir|copyfile|unlink|rmdir|rm|symlink|link|chmod|utime|fsync|ftruncate)/.test(syscall)
    ? 'cannot write'
    : syscall === 'open' || syscall === ''
      ? 'cannot open'
      : 'cannot read';
  const where = error.path ?? (error as { dest?: string }).dest;
  const meaning = meanings[code] ?? error.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${where === undefined ? '' : `${where}: `}${verb}: ${meaning} (${code})`;
}

/** An output could not be written (full disk, read-only or forbidden folder): the run cannot succeed. */
export class OutputWriteError extends MedsegError {}

/**
 * Turns a system error about a path inside `out` into `OutputWriteError` (so a batch stops and says why
 * instead of filing the failure as a skipped input); returns undefined for anything else.
 */
export function outputWriteError(error: unknown, out: string): OutputWriteError | undefined {
  if (!isSystemError(error) || error.path === undefined || !isInside(out, error.path)) return undefined;
  const described = describeSystemError(error)!;
  return new OutputWriteError(described.slice(`${error.path}: `.length), { path: error.path, cause: error });
}
