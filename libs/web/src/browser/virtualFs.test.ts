import * as real from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deflateRawSync as nodeDeflateRaw, gzipSync as nodeGzip, gunzipSync as nodeGunzip } from 'node:zlib';
import * as virtual from './virtualFs.js';
import { gunzipSync, gzipSync, inflateRawSync } from './nodeZlib.js';

const root = mkdtempSync(join(tmpdir(), 'medseg-vfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The same operations on Node's file system and on the in-memory one, with what each observed. */
async function scenario(fs: typeof virtual | typeof real, base: string): Promise<unknown[]> {
  const seen: unknown[] = [];
  await fs.mkdir(join(base, 'study/series'), { recursive: true });
  await fs.writeFile(join(base, 'study/series/b.dcm'), new Uint8Array([1, 2, 3]));
  await fs.writeFile(join(base, 'study/a.txt'), 'text');
  await fs.writeFile(join(base, 'study/series/.tmp-x'), 'tmp');
  await fs.rename(join(base, 'study/series/.tmp-x'), join(base, 'study/series/c.dcm'));
  const entries = (await fs.readdir(join(base, 'study'), { withFileTypes: true })) as { name: string; isFile(): boolean; isDirectory(): boolean }[];
  seen.push(entries.map((e) => [e.name, e.isFile(), e.isDirectory()]).sort());
  seen.push(((await fs.readdir(join(base, 'study/series'))) as string[]).sort());
  seen.push([...(await fs.readFile(join(base, 'study/series/b.dcm')))]);
  seen.push(await fs.readFile(join(base, 'study/series/c.dcm'), 'utf8'));
  const info = await fs.stat(join(base, 'study/series/b.dcm'));
  seen.push([info.isFile(), info.isDirectory(), info.size, (await fs.stat(join(base, 'study'))).isDirectory()]);
  seen.push(await fs.readFile(join(base, 'missing')).catch((e: { code: string }) => e.code));
  seen.push(await fs.writeFile(join(base, 'nofolder/x'), 'x').catch((e: { code: string }) => e.code));
  await fs.rm(join(base, 'study/a.txt'));
  await fs.rm(join(base, 'gone'), { force: true });
  seen.push(((await fs.readdir(join(base, 'study'))) as string[]).sort());
  await fs.rm(join(base, 'study'), { recursive: true, force: true });
  seen.push(await fs.stat(join(base, 'study')).catch((e: { code: string }) => e.code));
  return seen;
}

describe('the in-memory file system of the browser page', () => {
  it("behaves as Node's file system for the calls libs/data makes", async () => {
    const expected = await scenario(real, root);
    expect(await scenario(virtual, '/work')).toEqual(expected);
  });

  it("its zlib stand-in reads and writes what Node's zlib does", () => {
    const data = new TextEncoder().encode('DICOM deflate '.repeat(200));
    expect([...inflateRawSync(nodeDeflateRaw(data))]).toEqual([...data]);
    expect([...nodeGunzip(gzipSync(data))]).toEqual([...data]);
    expect([...gunzipSync(nodeGzip(data))]).toEqual([...data]);
  });
});
