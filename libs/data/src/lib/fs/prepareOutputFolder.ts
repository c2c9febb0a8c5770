import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OutputFolderError } from '../errors.js';
import { outputWriteError } from './systemErrors.js';
import { writeFileAtomic } from './writeFileAtomic.js';

/** The file by which medseg recognises an output folder as its own, and which command wrote it. */
export const OUTPUT_MARKER = '.medseg-output.json';

export interface PrepareOutputFolderOptions {
  /** The command that writes the folder ('train', 'predict', ...), recorded in the marker. */
  readonly kind: string;
  /** Replace an existing output: the new one is written beside it and swapped in by `commit()`. */
  readonly overwrite?: boolean;
  /** Continue this command's own earlier output in place (commands that can resume). */
  readonly resume?: boolean;
  /** Whether the command can resume; the refusal then names `--resume` too. */
  readonly resumable?: boolean;
  /**
   * Write everything beside and move it into place at `commit()`, even into an absent or empty folder: the
   * output appears as one unit or not at all (reports whose files belong together).
   */
  readonly staged?: boolean;
  /** Recognises this command's output from before the marker existed (e.g. a run folder with last/). */
  readonly isOwn?: (path: string) => Promise<boolean>;
}

export interface OutputFolder {
  /** The folder the user named. */
  readonly path: string;
  /** Where to write now: `path` itself, or a sibling that `commit()` swaps in (with `overwrite`). */
  readonly work: string;
  /** True when `path` held this command's own output and `resume` continues it. */
  readonly resumed: boolean;
  /** Makes `work` the output: with `overwrite`, renames the old folder away and the new one into place. */
  commit(): Promise<void>;
}

async function entries(path: string): Promise<string[] | null> {
  try {
    return await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // ENOTDIR, EACCES...: an output that cannot be written, named with the path in words (as mkdir reports it).
    const made = await mkdir(path, { recursive: true }).then(() => undefined, (cause: unknown) => cause);
    throw outputWriteError(made ?? error, path) ?? made ?? error;
  }
}

/** The kind recorded in a folder's marker; null without one. */
export async function outputFolderKind(path: string): Promise<string | null> {
  try {
    const marker = JSON.parse(await readFile(join(path, OUTPUT_MARKER), 'utf8')) as { kind?: unknown };
    return typeof marker.kind === 'string' ? marker.kind : null;
  } catch {
    return null;
  }
}

/**
 * Makes an output folder safe to write: an absent or empty folder is created and marked as this command's; a
 * non-empty one is refused unless it is this command's own and `resume` continues it, or `overwrite` replaces
 * it (written beside, then swapped in atomically by `commit()`, so the old output stays whole until the new one
 * is). Outputs of two runs are never mixed.
 */
export async function prepareOutputFolder(path: string, options: PrepareOutputFolderOptions): Promise<OutputFolder> {
  const present = await entries(path);
  const mark = (folder: string) => writeFileAtomic(join(folder, OUTPUT_MARKER), `${JSON.stringify({ kind: options.kind })}\n`);
  const inPlace = async (resumed: boolean): Promise<OutputFolder> => {
    await mkdir(path, { recursive: true });
    await mark(path);
    return { path, work: path, resumed, commit: async () => undefined };
  };
  const beside = async (): Promise<OutputFolder> => {
    await mkdir(dirname(path), { recursive: true });
    const work = join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(work, { recursive: true });
    await mark(work);
    return {
      path,
      work,
      resumed: false,
      commit: async () => {
        const old = `${work}-old`;
        const existing = await entries(path);
        if (existing !== null) await rename(path, old);
        await rename(work, path);
        await rm(old, { recursive: true, force: true });
      },
    };
  };
  const empty = present === null || present.length === 0;
  if (empty) return options.staged === true ? beside() : inPlace(false);
  const kind = (await outputFolderKind(path)) ?? ((await options.isOwn?.(path)) === true ? options.kind : null);
  if (options.overwrite === true) return beside();
  if (options.resume === true && kind === options.kind) return inPlace(true);
  throw refusal(path, kind, options);
}

function refusal(path: string, kind: string | null, options: PrepareOutputFolderOptions): OutputFolderError {
  const own = kind === options.kind;
  const flags = options.resumable === true ? '--resume to continue it or --overwrite to replace it' : '--overwrite to replace it';
  const what = own ? `already holds the output of an earlier 'medseg ${options.kind}'` : kind === null ? 'is not empty and was not written by medseg' : `holds the output of 'medseg ${kind}'`;
  return new OutputFolderError(`${what}; pass ${own ? flags : '--overwrite to replace it'}, or choose another folder`, { path });
}

/**
 * The refusal of prepareOutputFolder, checked before long work starts and without writing anything: throws
 * when `path` could not be written with these options.
 */
export async function checkOutputFolder(path: string, options: PrepareOutputFolderOptions): Promise<void> {
  const present = await entries(path);
  if (present === null || present.length === 0 || options.overwrite === true) return;
  const kind = (await outputFolderKind(path)) ?? ((await options.isOwn?.(path)) === true ? options.kind : null);
  if (options.resume === true && kind === options.kind) return;
  throw refusal(path, kind, options);
}

/**
 * An output that is one file: refused when something is already there, unless `overwrite` (the writer then
 * replaces it atomically); a folder in its place is always refused.
 */
export async function checkOutputFile(path: string, options: { readonly overwrite?: boolean } = {}): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info === null) return;
  if (info.isDirectory()) throw new OutputFolderError('is a folder; give a file name', { path });
  if (options.overwrite !== true) throw new OutputFolderError('already exists; pass --overwrite to replace it, or choose another name', { path });
}
