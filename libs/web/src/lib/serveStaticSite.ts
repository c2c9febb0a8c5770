import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { WebExportError } from './errors.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

export interface StaticSite {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Serves a folder read-only on the loopback interface (127.0.0.1; port 0 picks a free one). Only GET and HEAD,
 * only files under the folder (no traversal, no listings), `index.html` for `/`.
 */
export async function serveStaticSite(root: string, options: { port?: number; host?: string } = {}): Promise<StaticSite> {
  const info = await stat(root).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) throw new WebExportError('not a folder to serve', { path: root });
  const base = normalize(root);
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      let pathname: string;
      try {
        pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      } catch {
        response.writeHead(400).end();
        return;
      }
      const file = normalize(join(base, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
      const found = file.startsWith(base.endsWith(sep) ? base : `${base}${sep}`) ? await stat(file).catch(() => undefined) : undefined;
      if (found === undefined || !found.isFile()) {
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      response.writeHead(200, {
        'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
        'content-length': found.size,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      if (request.method === 'HEAD') response.end();
      else createReadStream(file).pipe(response);
    })();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
