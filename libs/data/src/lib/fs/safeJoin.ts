import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MedsegError } from '../errors.js';

/** A path taken from data (a manifest, a case ID) would lead outside the folder it belongs to. */
export class PathEscapeError extends MedsegError {}

/** Whether `path` is `root` itself or lies inside it (lexically, after resolving `.` and `..`). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * Joins a relative path that came from data (a manifest entry, a case ID) onto `root`, refusing anything that
 * would leave it: absolute paths, `..` segments that climb out, NUL bytes. Every path built from a manifest
 * goes through here. Throws `PathEscapeError` naming `source` (the file the path came from) or `root`.
 */
export function safeJoin(root: string, relativePath: string, source: string = root): string {
  if (typeof relativePath !== 'string' || relativePath === '' || relativePath.includes('\0')) {
    throw new PathEscapeError(`path ${JSON.stringify(relativePath)} is empty or not a plain relative path`, { path: source });
  }
  if (isAbsolute(relativePath) || /^[A-Za-z]:|^[\\/]/.test(relativePath)) {
    throw new PathEscapeError(`path ${JSON.stringify(relativePath)} is absolute; only paths inside ${root} are accepted`, { path: source });
  }
  const joined = resolve(root, relativePath);
  if (!isInside(root, joined) || joined === resolve(root)) {
    throw new PathEscapeError(`path ${JSON.stringify(relativePath)} leads outside ${root}`, { path: source });
  }
  return joined;
}
