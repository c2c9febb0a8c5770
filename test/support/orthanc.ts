import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporaryFolder } from './cli.js';

export const orthancBin = '/usr/sbin/Orthanc';
export const dicomWebPlugin = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** A free TCP port on loopback (the kernel picks it; released for the caller to bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export interface Orthanc {
  /** REST root, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** DICOMweb root. */
  readonly dicomWeb: string;
  readonly user: string;
  readonly password: string;
  /** Authorization header for the test's own REST calls. */
  readonly authorization: string;
  stop(): Promise<void>;
}

/**
 * Debian's Orthanc with its DICOMweb plugin on a free loopback port: a throw-away storage folder, no DICOM
 * port, remote access off, HTTP basic authentication on with one user.
 */
export async function startOrthanc(): Promise<Orthanc> {
  const root = temporaryFolder('orthanc');
  const storage = join(root, 'db');
  mkdirSync(storage);
  const port = await freePort();
  const user = 'medseg';
  const password = `pw-${port}-${process.pid}`;
  const config = {
    Name: 'medseg-test',
    StorageDirectory: storage,
    IndexDirectory: storage,
    HttpPort: port,
    DicomServerEnabled: false,
    DicomPort: 0,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [user]: password },
    Plugins: [dicomWebPlugin],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
    StorageCompression: false,
    HttpCompressionEnabled: false,
    ConcurrentJobs: 1,
  };
  const configFile = join(root, 'orthanc.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(orthancBin, [configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}):\n${log}`);
    try {
      if ((await fetch(`${url}/system`, { headers: { authorization } })).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error(`Orthanc did not start on port ${port}:\n${log}`);
    await sleep(50);
  }
  return {
    url,
    dicomWeb: `${url}/dicom-web`,
    user,
    password,
    authorization,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Uploads DICOM files through Orthanc's own REST API (not our STOW-RS client, which the tests check). */
export async function uploadToOrthanc(orthanc: Orthanc, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const response = await fetch(`${orthanc.url}/instances`, { method: 'POST', headers: { authorization: orthanc.authorization, 'content-type': 'application/dicom' }, body: readFileSync(file) });
    if (!response.ok) throw new Error(`upload of ${file}: HTTP ${response.status}`);
  }
}
