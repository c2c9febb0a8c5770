import { createServer, type Server } from 'node:http';
import { appendFile, mkdir, mkdtemp, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '@medseg/data/testing';
import { type BackboneSpec, getBackbone } from './backbones.js';
import { EncoderWeightsError } from './errors.js';
import { defaultCacheDir, resolveEncoderWeights } from './encoder-weights.js';

// A local HTTP server stands in for Google's storage (no network in tests): it serves the shared copy of
// the same files, so the download, checksum and cache logic run for real.
let server: Server;
let base: string;
let origin: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    const name = (request.url ?? '').split('/').pop() ?? '';
    const folder = name.endsWith('.h5') ? 'weights/mobilenet_v2_1.0_224_no_top' : 'weights/mobilenet_v1_0.25_224';
    readFile(sharedPath(folder, name))
      .then((bytes) => response.end(bytes))
      .catch(() => {
        response.statusCode = 404;
        response.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = `${origin}/tfjs/mobilenet_v1_0.25_224/model.json`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('resolveEncoderWeights', () => {
  const backbone = getBackbone('mobilenet_v1_0.25');

  it('downloads imagenet weights once, records their checksums, and serves the cache afterwards', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'medseg-cache-'));
    const modelJson = await resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base });
    expect(modelJson).toBe(join(cacheDir, 'encoders', 'mobilenet_v1_0.25', 'model.json'));
    // Byte-identical to the source files, and the recorded checksums are theirs.
    const recorded = JSON.parse(await readFile(join(cacheDir, 'encoders', 'mobilenet_v1_0.25', 'checksums.json'), 'utf8')) as Record<string, string>;
    expect(recorded['model.json']).toBe(await sha256(sharedPath('weights/mobilenet_v1_0.25_224/model.json')));
    expect(recorded['group1-shard1of1.bin']).toBe(await sha256(sharedPath('weights/mobilenet_v1_0.25_224/group1-shard1of1.bin')));
    const before = requests;
    expect(await resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base })).toBe(modelJson);
    expect(requests).toBe(before);

    // A changed cached file is refused, with the way out in the message.
    await appendFile(join(cacheDir, 'encoders', 'mobilenet_v1_0.25', 'group1-shard1of1.bin'), 'x');
    await expect(resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base })).rejects.toThrow(/changed since it was downloaded.*delete/);
  });

  it('offline, fails with a message that says how to pass a local folder', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'medseg-cache-'));
    // Port 9 (discard) on localhost: connection refused, as without a network.
    await expect(resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: 'http://127.0.0.1:9/model.json' })).rejects.toThrow(
      /cannot download .*--encoder-weights PATH/,
    );
  });

  it('takes a local folder or model.json, refuses a folder without one, and gives null for none', async () => {
    const folder = sharedPath('weights/mobilenet_v1_0.25_224');
    expect(await resolveEncoderWeights(backbone, folder)).toBe(join(folder, 'model.json'));
    expect(await resolveEncoderWeights(backbone, join(folder, 'model.json'))).toBe(join(folder, 'model.json'));
    await expect(resolveEncoderWeights(backbone, sharedPath('weights/photos'))).rejects.toThrow(/no model.json here/);
    expect(await resolveEncoderWeights(backbone, 'none')).toBeNull();
    expect(defaultCacheDir({ MEDSEG_CACHE: '/x/cache' })).toBe('/x/cache');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/medseg');
  });
});

const v2 = getBackbone('mobilenet_v2_1.0');
const v2File = sharedPath('weights/mobilenet_v2_1.0_224_no_top', v2.weights.fileName);
const md5 = async (path: string) => createHash('md5').update(await readFile(path)).digest('hex');
const withMd5 = (spec: BackboneSpec, hash: string): BackboneSpec => ({ ...spec, weights: { ...spec.weights, md5: hash } });

describe('the encoder cache checks every file it holds', () => {
  const backbone = getBackbone('mobilenet_v1_0.25');
  const cached = async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'medseg-cache-'));
    await resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base });
    return { cacheDir, dir: join(cacheDir, 'encoders', 'mobilenet_v1_0.25') };
  };

  it('refuses checksums.json that is {}, lacks a shard, or is not JSON, naming the file', async () => {
    const { cacheDir, dir } = await cached();
    const sums = JSON.parse(await readFile(join(dir, 'checksums.json'), 'utf8')) as Record<string, string>;
    await writeFile(join(dir, 'checksums.json'), '{}');
    await expect(resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base })).rejects.toThrow(/model.json: cached file has no recorded checksum/);
    await writeFile(join(dir, 'checksums.json'), JSON.stringify({ 'model.json': sums['model.json'] }));
    await expect(resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base })).rejects.toThrow(/group1-shard1of1.bin: cached file has no recorded checksum/);
    await writeFile(join(dir, 'checksums.json'), '{"model.json": ');
    const error = await resolveEncoderWeights(backbone, 'imagenet', { cacheDir, url: base }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncoderWeightsError);
    expect((error as EncoderWeightsError).path).toBe(join(dir, 'checksums.json'));
    expect(String(error)).toMatch(/not valid JSON/);
  });

  it('downloads a Keras .h5 into the cache with its sha256, checks a published md5, and leaves no staging folder', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'medseg-cache-'));
    const url = `${origin}/keras/${v2.weights.fileName}`;
    const path = await resolveEncoderWeights(withMd5(v2, await md5(v2File)), 'imagenet', { cacheDir, url });
    expect(path).toBe(join(cacheDir, 'encoders', 'mobilenet_v2_1.0', v2.weights.fileName));
    const recorded = JSON.parse(await readFile(join(cacheDir, 'encoders', 'mobilenet_v2_1.0', 'checksums.json'), 'utf8')) as Record<string, string>;
    expect(recorded).toEqual({ [v2.weights.fileName]: await sha256(v2File) });
    expect(await readdir(join(cacheDir, 'encoders'))).toEqual(['mobilenet_v2_1.0']);
    // A file whose md5 is not the published one is refused, and nothing is cached.
    const other = await mkdtemp(join(tmpdir(), 'medseg-cache-'));
    await expect(resolveEncoderWeights(withMd5(v2, '0'.repeat(32)), 'imagenet', { cacheDir: other, url })).rejects.toThrow(/md5 [0-9a-f]{32}, expected 0{32}/);
    expect(await readdir(other)).toEqual([]);
  });
});

describe('a local weights folder (--weights-dir, MEDSEG_WEIGHTS_DIR)', () => {
  it('finds each backbone by the folder names ../shared/weights uses, or by the official file name', async () => {
    const dir = sharedPath('weights');
    expect(await resolveEncoderWeights(getBackbone('mobilenet_v1_0.25'), 'imagenet', { weightsDir: dir })).toBe(join(dir, 'mobilenet_v1_0.25_224', 'model.json'));
    expect(await resolveEncoderWeights(getBackbone('mobilenet_v1_1.0'), 'imagenet', { env: { MEDSEG_WEIGHTS_DIR: dir } })).toBe(
      join(dir, 'mobilenet_v1_1.00_224_to_conv_pw_12', 'model.json'),
    );
    expect(await resolveEncoderWeights(v2, 'imagenet', { weightsDir: dir })).toBe(v2File);
    const flat = await mkdtemp(join(tmpdir(), 'medseg-weights-'));
    await symlink(v2File, join(flat, v2.weights.fileName));
    expect(await resolveEncoderWeights(v2, 'imagenet', { weightsDir: flat })).toBe(join(flat, v2.weights.fileName));
    // A published md5 is checked on local files too.
    await expect(resolveEncoderWeights(withMd5(v2, '0'.repeat(32)), 'imagenet', { weightsDir: flat })).rejects.toThrow(/is not that of the official/);
  });

  it('falls back to the cache and, offline, says where it looked', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'medseg-cache-'));
    const empty = await mkdtemp(join(tmpdir(), 'medseg-weights-'));
    await mkdir(join(empty, 'resnet50'));
    await expect(
      resolveEncoderWeights(getBackbone('resnet50'), 'imagenet', { cacheDir, weightsDir: empty, url: 'http://127.0.0.1:9/resnet50.h5' }),
    ).rejects.toThrow(new RegExp(`not found in the weights folder either: ${join(empty, 'resnet50_224_no_top', 'resnet50_weights')}.*--weights-dir`));
  });
});
