import { createServer, type Server } from 'node:http';
import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '@medseg/data/testing';
import { getBackbone } from './backbones.js';
import { defaultCacheDir, resolveEncoderWeights } from './encoder-weights.js';

// A local HTTP server stands in for Google's storage (no network in tests): it serves the shared copy of
// the same files, so the download, checksum and cache logic run for real.
let server: Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    const name = (request.url ?? '').split('/').pop() ?? '';
    readFile(sharedPath('weights/mobilenet_v1_0.25_224', name))
      .then((bytes) => response.end(bytes))
      .catch(() => {
        response.statusCode = 404;
        response.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tfjs/mobilenet_v1_0.25_224/model.json`;
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
