import { Buffer } from 'buffer';
import { dirname, normalize } from 'pathe';

/**
 * The files the page was given, held in memory under POSIX paths, behind the part of `node:fs/promises` that
 * the libs/data readers use. The browser bundle maps `node:fs/promises` here (see esbuildBrowserPlugin), so
 * `scanDicomTree`, `readDicomSeries` and `segSourceFromSeries` run unchanged on dropped files: one interface,
 * two implementations. Nothing here touches the network or real storage.
 */
const files = new Map<string, Uint8Array>();
const folders = new Set<string>(['/']);

function key(path: string): string {
  const p = normalize(path);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function notFound(syscall: string, path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${syscall} '${path}'`), { code: 'ENOENT', syscall, path });
}

function addFolders(path: string): void {
  for (let folder = dirname(path); !folders.has(folder); folder = dirname(folder)) folders.add(folder);
}

/** Puts a file into the in-memory tree (its folders appear with it). */
export function putVirtualFile(path: string, bytes: Uint8Array): void {
  const k = key(path);
  files.set(k, bytes);
  addFolders(k);
}

/** Empties the tree under `root` (everything when omitted). */
export function clearVirtualFiles(root = '/'): void {
  const prefix = key(root) === '/' ? '/' : `${key(root)}/`;
  for (const k of [...files.keys()]) if (k.startsWith(prefix) || k === key(root)) files.delete(k);
  for (const k of [...folders]) if (k !== '/' && (k.startsWith(prefix) || k === key(root))) folders.delete(k);
}

export function readVirtualFile(path: string): Uint8Array | undefined {
  return files.get(key(path));
}

interface Kind {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

function kind(isFile: boolean): Kind {
  return { isFile: () => isFile, isDirectory: () => !isFile, isSymbolicLink: () => false };
}

export async function readFile(path: string, options?: string | { encoding?: string | null }): Promise<Buffer | string> {
  const bytes = files.get(key(path));
  if (bytes === undefined) throw notFound('open', path);
  const encoding = typeof options === 'string' ? options : options?.encoding;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding ? buffer.toString(encoding as BufferEncoding) : buffer;
}

export async function writeFile(path: string, data: string | Uint8Array): Promise<void> {
  if (!folders.has(dirname(key(path)))) throw notFound('open', path);
  putVirtualFile(path, typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data));
}

export async function mkdir(path: string, options?: { recursive?: boolean }): Promise<void> {
  const k = key(path);
  if (options?.recursive !== true && !folders.has(dirname(k))) throw notFound('mkdir', path);
  folders.add(k);
  addFolders(k);
}

export async function rename(from: string, to: string): Promise<void> {
  const bytes = files.get(key(from));
  if (bytes === undefined) throw notFound('rename', from);
  files.delete(key(from));
  putVirtualFile(to, bytes);
}

export async function rm(path: string, options?: { force?: boolean; recursive?: boolean }): Promise<void> {
  const k = key(path);
  if (files.delete(k)) return;
  if (folders.has(k) && options?.recursive === true) return clearVirtualFiles(k);
  if (options?.force !== true) throw notFound('rm', path);
}

export const unlink = (path: string): Promise<void> => rm(path);

export async function stat(path: string): Promise<Kind & { size: number; mtimeMs: number }> {
  const k = key(path);
  const bytes = files.get(k);
  if (bytes !== undefined) return { ...kind(true), size: bytes.byteLength, mtimeMs: 0 };
  if (folders.has(k)) return { ...kind(false), size: 0, mtimeMs: 0 };
  throw notFound('stat', path);
}

export const lstat = stat;

export async function access(path: string): Promise<void> {
  await stat(path);
}

export async function realpath(path: string): Promise<string> {
  await stat(path);
  return key(path);
}

export async function readdir(path: string, options?: { withFileTypes?: boolean }): Promise<(string | (Kind & { name: string }))[]> {
  const k = key(path);
  if (!folders.has(k)) throw notFound('scandir', path);
  const prefix = k === '/' ? '/' : `${k}/`;
  const entries = new Map<string, boolean>();
  for (const f of files.keys()) if (f.startsWith(prefix) && !f.slice(prefix.length).includes('/')) entries.set(f.slice(prefix.length), true);
  for (const d of folders) if (d !== k && d.startsWith(prefix) && !d.slice(prefix.length).includes('/')) entries.set(d.slice(prefix.length), false);
  const names = [...entries.keys()].sort();
  return options?.withFileTypes === true ? names.map((name) => ({ name, ...kind(entries.get(name)!) })) : names;
}

export async function copyFile(from: string, to: string): Promise<void> {
  const bytes = files.get(key(from));
  if (bytes === undefined) throw notFound('copyfile', from);
  putVirtualFile(to, bytes);
}

export async function open(): Promise<never> {
  throw new Error('open: not available in the browser page');
}

export async function mkdtemp(prefix: string): Promise<string> {
  const path = `${prefix}${folders.size}`;
  await mkdir(path, { recursive: true });
  return path;
}

export const constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };
export default { readFile, writeFile, mkdir, rename, rm, unlink, stat, lstat, access, realpath, readdir, copyFile, open, mkdtemp, constants };
