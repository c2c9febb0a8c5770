import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathExists } from '@medseg/data';
import type { BackboneSpec } from './backbone-spec.js';
import { EncoderWeightsError } from './errors.js';

/** `imagenet` (local weights folder, else the cache, else the official URL), `none` (random encoder), or a file / folder. */
export type EncoderWeightsSource = string;

export interface ResolveEncoderWeightsOptions {
  /** Cache root; default `$MEDSEG_CACHE`, else `$XDG_CACHE_HOME/medseg`, else `~/.cache/medseg`. */
  cacheDir?: string;
  /**
   * A folder of local weights for several backbones (`--weights-dir`; default `$MEDSEG_WEIGHTS_DIR`), laid out as
   * `../shared/weights` is (one folder per backbone, named as the registry lists) or holding the official files.
   */
  weightsDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** URL override (a mirror) of the official file; a TF.js model's shards are fetched from beside it. */
  url?: string;
}

export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = {}): string {
  if (env['MEDSEG_CACHE']) return resolve(env['MEDSEG_CACHE']);
  if (env['XDG_CACHE_HOME']) return join(resolve(env['XDG_CACHE_HOME']), 'medseg');
  return join(homedir(), '.cache', 'medseg');
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const md5 = (data: Uint8Array): string => createHash('md5').update(data).digest('hex');

/** Where a local weights folder may hold `backbone`'s official file, in the order they are tried. */
export function weightsDirCandidates(backbone: BackboneSpec, weightsDir: string): string[] {
  const root = resolve(weightsDir);
  const { fileName, folderNames } = backbone.weights;
  return [...new Set([...folderNames, backbone.name].map((folder) => join(root, folder, fileName))), join(root, fileName)];
}

/**
 * Turns `--encoder-weights` into the weight file to load (a `model.json` or a Keras `.h5`), or null for `none`.
 *
 * `imagenet` looks in the local weights folder first (`weightsDir` / `MEDSEG_WEIGHTS_DIR`), then in the cache,
 * and otherwise downloads the official file(s) into the cache once. Where the publisher gives an md5 (Keras
 * applications), local and downloaded files are checked against it. Every cached file is recorded with its sha256
 * in `checksums.json` when written and verified at each use; the folder appears by one rename, so concurrent
 * fills leave one whole copy and no partial one.
 */
export async function resolveEncoderWeights(
  backbone: BackboneSpec,
  source: EncoderWeightsSource,
  options: ResolveEncoderWeightsOptions = {},
): Promise<string | null> {
  if (source === 'none') return null;
  const { fileName } = backbone.weights;
  if (source !== 'imagenet') {
    const path = resolve(source);
    const direct = backbone.weights.format === 'tfjs-layers' ? path.endsWith('.json') : path.endsWith('.h5');
    const file = direct ? path : join(path, fileName);
    if (!(await pathExists(file))) {
      throw new EncoderWeightsError(`no ${fileName} here: pass ${backbone.name}'s ${backbone.weights.format === 'keras-h5' ? 'Keras .h5 weights file' : 'TF.js model.json folder'}`, { path });
    }
    if (direct || backbone.weights.format === 'keras-h5') await checkMd5(backbone, file);
    return file;
  }
  const weightsDir = options.weightsDir ?? options.env?.['MEDSEG_WEIGHTS_DIR'];
  const looked: string[] = [];
  if (weightsDir) {
    for (const candidate of weightsDirCandidates(backbone, weightsDir)) {
      looked.push(candidate);
      if (await pathExists(candidate)) {
        await checkMd5(backbone, candidate);
        return candidate;
      }
    }
  }
  const dir = join(options.cacheDir ?? defaultCacheDir(options.env), 'encoders', backbone.name);
  if (await pathExists(join(dir, checksumsFile))) {
    await verifyCache(backbone, dir);
    return join(dir, fileName);
  }
  await fill(backbone, options.url ?? backbone.weights.url, dir, looked);
  return join(dir, fileName);
}

const checksumsFile = 'checksums.json';

/**
 * Where `imagenet` weights of `backbone` would be taken from without downloading: the local weights folder, or
 * the cache (not verified here; `resolveEncoderWeights` verifies), or null when they would be downloaded.
 */
export async function localEncoderWeights(
  backbone: BackboneSpec,
  options: ResolveEncoderWeightsOptions = {},
): Promise<{ where: 'weights-dir' | 'cache'; path: string } | null> {
  const weightsDir = options.weightsDir ?? options.env?.['MEDSEG_WEIGHTS_DIR'];
  if (weightsDir) {
    for (const candidate of weightsDirCandidates(backbone, weightsDir)) if (await pathExists(candidate)) return { where: 'weights-dir', path: candidate };
  }
  const dir = join(options.cacheDir ?? defaultCacheDir(options.env), 'encoders', backbone.name);
  if (await pathExists(join(dir, checksumsFile))) return { where: 'cache', path: join(dir, backbone.weights.fileName) };
  return null;
}

async function checkMd5(backbone: BackboneSpec, path: string): Promise<void> {
  const expected = backbone.weights.md5;
  if (expected === undefined) return;
  const actual = md5(await readFile(path));
  if (actual !== expected) {
    throw new EncoderWeightsError(`md5 ${actual} is not that of the official ${backbone.weights.fileName} (${expected})`, { path });
  }
}

/** The files a cached copy must hold: the weight file, and for a TF.js model every shard its manifest lists. */
function expectedFiles(backbone: BackboneSpec, mainBytes: Uint8Array, path: string): string[] {
  if (backbone.weights.format !== 'tfjs-layers') return [backbone.weights.fileName];
  let manifest: unknown;
  try {
    manifest = (JSON.parse(new TextDecoder().decode(mainBytes)) as { weightsManifest?: unknown }).weightsManifest;
  } catch (cause) {
    throw new EncoderWeightsError('not a TF.js model.json', { path, cause });
  }
  if (!Array.isArray(manifest)) throw new EncoderWeightsError('model.json has no weightsManifest', { path });
  const shards = manifest.flatMap((group: { paths?: unknown }) => (Array.isArray(group.paths) ? group.paths : []));
  for (const shard of shards) {
    // Names from a downloaded file never become paths outside the cache folder.
    if (typeof shard !== 'string' || !/^[\w.-]+$/.test(shard) || shard === '.' || shard === '..') {
      throw new EncoderWeightsError(`model.json names an unsafe shard path ${JSON.stringify(shard)}`, { path });
    }
  }
  return [backbone.weights.fileName, ...(shards as string[])];
}

async function verifyCache(backbone: BackboneSpec, dir: string): Promise<void> {
  const checksumsPath = join(dir, checksumsFile);
  const again = `delete ${dir} to download again`;
  let recorded: unknown;
  try {
    recorded = JSON.parse(await readFile(checksumsPath, 'utf8'));
  } catch (cause) {
    throw new EncoderWeightsError(`cache checksums are not valid JSON; ${again}`, { path: checksumsPath, cause });
  }
  if (typeof recorded !== 'object' || recorded === null || Array.isArray(recorded) || !Object.values(recorded).every((v) => typeof v === 'string')) {
    throw new EncoderWeightsError(`cache checksums are not a map of file names to sha256; ${again}`, { path: checksumsPath });
  }
  const sums = recorded as Record<string, string>;
  const hashOf = async (file: string): Promise<Uint8Array> => {
    const path = join(dir, file);
    const expected = sums[file];
    if (expected === undefined) throw new EncoderWeightsError(`cached file has no recorded checksum; ${again}`, { path });
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new EncoderWeightsError(`cached file is missing; ${again}`, { path, cause });
    }
    const actual = sha256(bytes);
    if (actual !== expected) {
      throw new EncoderWeightsError(`cached file changed since it was downloaded (sha256 ${actual}, recorded ${expected}); ${again}`, { path });
    }
    return bytes;
  };
  const main = await hashOf(backbone.weights.fileName);
  for (const file of expectedFiles(backbone, main, join(dir, backbone.weights.fileName)).slice(1)) await hashOf(file);
}

async function fetchBytes(url: string, backbone: BackboneSpec, looked: readonly string[]): Promise<Uint8Array> {
  const local = looked.length > 0 ? ` (not found in the weights folder either: ${looked.join(', ')})` : '';
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new EncoderWeightsError(
      `cannot download ${backbone.name} ImageNet weights from ${url} (offline?)${local}. Download ${backbone.weights.fileName}` +
        `${backbone.weights.format === 'tfjs-layers' ? ' and its shards' : ''} elsewhere and pass it with --encoder-weights PATH, ` +
        `or a folder of weights with --weights-dir DIR (MEDSEG_WEIGHTS_DIR)`,
      { cause },
    );
  }
  if (!response.ok) {
    throw new EncoderWeightsError(`download of ${url} failed with HTTP ${response.status}${local}; pass a local copy with --encoder-weights PATH or --weights-dir DIR`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Downloads into a private staging folder beside the cache folder, records every file's sha256, and renames the
 * folder into place. When another process got there first (the rename finds a folder), its copy is verified and
 * used; the staging folder is removed whatever happens.
 */
async function fill(backbone: BackboneSpec, url: string, dir: string, looked: readonly string[]): Promise<void> {
  const { fileName } = backbone.weights;
  const mainBytes = await fetchBytes(url, backbone, looked);
  if (backbone.weights.md5 !== undefined && md5(mainBytes) !== backbone.weights.md5) {
    throw new EncoderWeightsError(`${url} has md5 ${md5(mainBytes)}, expected ${backbone.weights.md5}`);
  }
  const files = expectedFiles(backbone, mainBytes, url);
  const checksums: Record<string, string> = { [fileName]: sha256(mainBytes) };
  const staging = `${dir}.partial-${process.pid}-${randomUUID()}`;
  await mkdir(staging, { recursive: true });
  try {
    const base = url.slice(0, url.lastIndexOf('/') + 1);
    for (const shard of files.slice(1)) {
      const bytes = await fetchBytes(base + shard, backbone, looked);
      checksums[shard] = sha256(bytes);
      await writeFile(join(staging, shard), bytes);
    }
    await writeFile(join(staging, fileName), mainBytes);
    await writeFile(join(staging, checksumsFile), `${JSON.stringify(checksums, null, 2)}\n`);
    await mkdir(dirname(dir), { recursive: true });
    try {
      // The folder appears whole or not at all: a download cut short never looks like a cache hit.
      await rename(staging, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      // Another process filled the cache meanwhile: use its copy, after checking it as any cache hit is.
      await verifyCache(backbone, dir);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
