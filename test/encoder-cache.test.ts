import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedPath } from '@medseg/data/testing';

const work = mkdtempSync(join(tmpdir(), 'medseg-encoder-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const v2Name = 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5';
const v2File = sharedPath('weights/mobilenet_v2_1.0_224_no_top', v2Name);

/** One `node` process that fills the cache through the built @medseg/models, printing the path it resolved. */
function fill(cacheDir: string, url: string): Promise<{ code: number | null; out: string; err: string }> {
  const script = `
import { getBackbone, resolveEncoderWeights } from '@medseg/models';
const path = await resolveEncoderWeights(getBackbone('mobilenet_v2_1.0'), 'imagenet', { cacheDir: process.argv[1], url: process.argv[2] });
console.log(path);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, cacheDir, url], { cwd: repoRoot });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('filling the encoder cache from two processes at once', () => {
  it('leaves one whole, verified copy, no partial folder, and both processes get it', async () => {
    // The server holds every answer until both processes have asked, so both downloads are in flight together.
    const waiting: (() => void)[] = [];
    const server = createServer((_request, response) => {
      waiting.push(() => response.end(readFileSync(v2File)));
      if (waiting.length === 2) for (const answer of waiting.splice(0)) answer();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${v2Name}`;
    const cacheDir = join(work, 'cache');
    try {
      const [a, b] = await Promise.all([fill(cacheDir, url), fill(cacheDir, url)]);
      expect(a.code, a.err).toBe(0);
      expect(b.code, b.err).toBe(0);
      const expected = join(cacheDir, 'encoders', 'mobilenet_v2_1.0', v2Name);
      expect(a.out.trim()).toBe(expected);
      expect(b.out.trim()).toBe(expected);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(readdirSync(join(cacheDir, 'encoders'))).toEqual(['mobilenet_v2_1.0']);
    const folder = join(cacheDir, 'encoders', 'mobilenet_v2_1.0');
    expect(readdirSync(folder).sort()).toEqual(['checksums.json', v2Name]);
    const sha = createHash('sha256').update(readFileSync(v2File)).digest('hex');
    expect(JSON.parse(readFileSync(join(folder, 'checksums.json'), 'utf8'))).toEqual({ [v2Name]: sha });
    expect(createHash('sha256').update(readFileSync(join(folder, v2Name))).digest('hex')).toBe(sha);
  });
});
