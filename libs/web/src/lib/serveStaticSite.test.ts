import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveStaticSite } from './serveStaticSite.js';

const parent = mkdtempSync(join(tmpdir(), 'medseg-serve-'));
const root = join(parent, 'site');
mkdirSync(join(root, 'model'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html>page');
writeFileSync(join(root, 'model/model.json'), '{}');
writeFileSync(join(parent, 'secret.txt'), 'outside');
afterAll(() => rmSync(parent, { recursive: true, force: true }));

/** A raw request (the path sent as given, not normalised by a URL parser). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serveStaticSite', () => {
  it('serves the folder on loopback, index.html for /, and nothing outside it', async () => {
    const site = await serveStaticSite(root);
    try {
      const port = Number(new URL(site.url).port);
      expect(new URL(site.url).hostname).toBe('127.0.0.1');
      expect(await get(port, '/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html>page' });
      expect(await get(port, '/model/model.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', body: '{}' });
      for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/model/..%2f..%2fsecret.txt', '/missing']) expect((await get(port, path)).status, path).toBe(404);
      expect((await get(port, '/', 'POST')).status).toBe(405);
    } finally {
      await site.close();
    }
  });
});
