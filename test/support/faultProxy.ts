import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the proxy does with one request. */
export type Fault = 'pass' | 'status500' | 'status401' | 'status406' | 'truncate' | 'nonDicom' | 'hang' | 'stop';

export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly fault: Fault;
  readonly accept: string;
}

export interface FaultProxy {
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Decides each request's fault from its path and how many requests for that path came before it. */
  rule: (path: string, method: string, seen: number, accept: string) => Fault;
  stop(): Promise<void>;
}

const isInstanceRetrieve = (path: string) => /\/instances\/[0-9.]+$/.test(path.split('?')[0]!);
export { isInstanceRetrieve };

/**
 * A loopback HTTP proxy in front of a real server that injects faults: an error status, a multipart body cut
 * short, a part that is not DICOM, or the server going away (listener closed, connections dropped).
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const seen = new Map<string, number>();
  let stopped = false;
  const proxy: FaultProxy = {
    url: '',
    requests: [],
    rule: () => 'pass',
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/';
    const count = seen.get(path) ?? 0;
    seen.set(path, count + 1);
    const accept = request.headers.accept ?? '';
    const fault = stopped ? 'stop' : proxy.rule(path, request.method ?? 'GET', count, accept);
    proxy.requests.push({ method: request.method ?? 'GET', path, fault, accept });
    if (fault === 'stop') {
      // The server goes away half-way: nothing more is accepted, open connections drop.
      stopped = true;
      server.close();
      for (const socket of sockets) socket.destroy();
      return;
    }
    if (fault === 'hang') return; // accepted, never answered: the client's timeout must end it
    if (fault === 'status500' || fault === 'status401' || fault === 'status406') {
      const status = { status500: 500, status401: 401, status406: 406 }[fault];
      response.writeHead(status, { 'content-type': 'text/plain' }).end(`HTTP ${status}`);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string' && name !== 'host' && name !== 'content-length' && name !== 'connection') headers[name] = value;
    const upstream = await fetch(`${target}${path}`, { method: request.method ?? 'GET', headers, ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}) });
    let body = Buffer.from(await upstream.arrayBuffer());
    let contentType = upstream.headers.get('content-type') ?? 'application/octet-stream';
    if (fault === 'truncate') body = body.subarray(0, Math.floor(body.length / 2));
    if (fault === 'nonDicom') {
      contentType = 'multipart/related; type="application/dicom"; boundary=XYZ';
      body = Buffer.from('--XYZ\r\nContent-Type: application/dicom\r\n\r\nthis is a text file, not a DICOM object\r\n--XYZ--\r\n');
    }
    response.writeHead(upstream.status, { 'content-type': contentType, 'content-length': String(body.length) }).end(body);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  (proxy as { url: string }).url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return proxy;
}
