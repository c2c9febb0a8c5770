import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { BackboneSpec } from './backbones.js';
import { EncoderWeightsError } from './errors.js';
import { pathExists } from '@medseg/data';

/** `imagenet` (official URL, cached), `none` (random encoder), or a local folder / model.json. */
export type EncoderWeightsSource = string;

export interface ResolveEncoderWeightsOptions {
  /** Cache root; default `$MEDSEG_CACHE`, else `$XDG_CACHE_HOME/medseg`, else `~/.cache/medseg`. */
  cacheDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** Base URL override (a mirror); the file names stay those of the official model. */
  url?: string;
}

export function defaultCacheDir(env: Readonly<Record<string, string | undefined>> = {}): string {
  if (env['MEDSEG_CACHE']) return resolve(env['MEDSEG_CACHE']);
  if (env['XDG_CACHE_HOME']) return join(resolve(env['XDG_CACHE_HOME']), 'medseg');
  return join(homedir(), '.cache', 'medseg');
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');


/**
 * Turns `--encoder-weights` into the `model.json` to load, or null for `none`.
 *
 * `imagenet` downloads the official TF.js files into the cache once. The registry holds no checksum for them
 * (none could be verified from here), so the first download records sha256 of every file in `checksums.json`
 * (trust on first use) and every later load verifies the cache against it; a registry checksum, when present,
 * is checked on download too.
 */
export async function resolveEncoderWeights(
  backbone: BackboneSpec,
  source: EncoderWeightsSource,
  options: ResolveEncoderWeightsOptions = {},
): Promise<string | null> {
  if (source === 'none') return null;
  if (source !== 'imagenet') {
    const path = resolve(source);
    const modelJson = path.endsWith('.json') ? path : join(path, 'model.json');
    if (!(await pathExists(modelJson))) {
      throw new EncoderWeightsError('no model.json here: pass a folder holding a TF.js layers model.json and its shards', { path });
    }
    return modelJson;
  }
  const dir = join(options.cacheDir ?? defaultCacheDir(options.env), 'encoders', backbone.name);
  const modelJson = join(dir, 'model.json');
  const checksumsPath = join(dir, 'checksums.json');
  if (await pathExists(checksumsPath)) {
    await verifyCache(dir, checksumsPath);
    return modelJson;
  }
  await download(backbone, options.url ?? backbone.url, dir);
  return modelJson;
}

async function verifyCache(dir: string, checksumsPath: string): Promise<void> {
  const recorded = JSON.parse(await readFile(checksumsPath, 'utf8')) as Record<string, string>;
  for (const [file, expected] of Object.entries(recorded)) {
    const path = join(dir, file);
    let actual: string;
    try {
      actual = sha256(await readFile(path));
    } catch (cause) {
      throw new EncoderWeightsError(`cached file is missing; delete ${dir} to download again`, { path, cause });
    }
    if (actual !== expected) {
      throw new EncoderWeightsError(
        `cached file changed since it was downloaded (sha256 ${actual}, recorded ${expected}); delete ${dir} to download again`,
        { path },
      );
    }
  }
}

async function fetchBytes(url: string, backbone: BackboneSpec): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new EncoderWeightsError(
      `cannot download ${backbone.name} ImageNet weights from ${url} (offline?). Download model.json and its shards ` +
        `elsewhere and pass the folder with --encoder-weights PATH`,
      { cause },
    );
  }
  if (!response.ok) {
    throw new EncoderWeightsError(
      `download of ${url} failed with HTTP ${response.status}; pass a local folder with --encoder-weights PATH instead`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function download(backbone: BackboneSpec, url: string, dir: string): Promise<void> {
  const modelBytes = await fetchBytes(url, backbone);
  const checksums: Record<string, string> = { 'model.json': sha256(modelBytes) };
  if (backbone.modelJsonSha256 !== undefined && checksums['model.json'] !== backbone.modelJsonSha256) {
    throw new EncoderWeightsError(`model.json from ${url} has sha256 ${checksums['model.json']}, expected ${backbone.modelJsonSha256}`);
  }
  let manifest: { paths: string[] }[];
  try {
    manifest = (JSON.parse(new TextDecoder().decode(modelBytes)) as { weightsManifest: { paths: string[] }[] }).weightsManifest;
  } catch (cause) {
    throw new EncoderWeightsError(`${url} is not a TF.js model.json`, { cause });
  }
  const staging = `${dir}.partial-${process.pid}`;
  await mkdir(staging, { recursive: true });
  const base = url.slice(0, url.lastIndexOf('/') + 1);
  for (const group of manifest) {
    for (const shard of group.paths) {
      const bytes = await fetchBytes(base + shard, backbone);
      checksums[shard] = sha256(bytes);
      await writeFile(join(staging, shard), bytes);
    }
  }
  await writeFile(join(staging, 'model.json'), modelBytes);
  await writeFile(join(staging, 'checksums.json'), `${JSON.stringify(checksums, null, 2)}\n`);
  await mkdir(dirname(dir), { recursive: true });
  // The folder appears whole or not at all: a download cut short never looks like a cache hit.
  await rename(staging, dir);
}
