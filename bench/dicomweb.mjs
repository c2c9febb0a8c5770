// @ts-check
// `medseg ingest --dicomweb` from a real Orthanc against `medseg ingest` from disk, on the 36 STS patients
// (issue 20): `npm run bench:dicomweb`.
//
// Starts Debian's Orthanc with its DICOMweb plugin on a free loopback port (throw-away storage, basic auth),
// uploads every STS file through Orthanc's REST API, then times three ingests of the same patients with the
// same settings: from the files on disk, from Orthanc with an empty cache (QIDO-RS + WADO-RS per instance),
// and from Orthanc again with the cache filled (QIDO-RS only). Prints series/s, instances/s and MB/s for each.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(root, '../shared');
const sts = join(sharedRoot, 'data/sts/dicom');
const bin = join(root, 'apps/cli/bin/medseg.js');
const patients = readdirSync(sts).filter((name) => name.startsWith('STS_')).sort();
const files = patients.flatMap((p) => ['image', 'mask'].flatMap((part) => readdirSync(join(sts, p, part)).map((f) => join(sts, p, part, f))));
const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);

const work = mkdtempSync(join(tmpdir(), 'medseg-bench-dicomweb-'));
const port = await new Promise((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const address = server.address();
    server.close(() => done(typeof address === 'object' && address !== null ? address.port : 0));
  });
});
const password = `bench-${process.pid}`;
mkdirSync(join(work, 'db'));
writeFileSync(join(work, 'orthanc.json'), JSON.stringify({
  StorageDirectory: join(work, 'db'), IndexDirectory: join(work, 'db'), HttpPort: port, DicomServerEnabled: false,
  RemoteAccessAllowed: false, AuthenticationEnabled: true, RegisteredUsers: { medseg: password },
  Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'], DicomWeb: { Enable: true }, StorageCompression: false,
}));
const orthanc = spawn('/usr/sbin/Orthanc', [join(work, 'orthanc.json')], { stdio: 'ignore' });
const url = `http://127.0.0.1:${port}`;
const authorization = `Basic ${Buffer.from(`medseg:${password}`).toString('base64')}`;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/system`, { headers: { authorization } })).ok) break;
    } catch {
      if (i > 200) throw new Error('Orthanc did not start');
      await sleep(50);
    }
  }
  let started = performance.now();
  for (const file of files) {
    const response = await fetch(`${url}/instances`, { method: 'POST', headers: { authorization, 'content-type': 'application/dicom' }, body: readFileSync(file) });
    if (!response.ok) throw new Error(`upload ${file}: HTTP ${response.status}`);
  }
  console.log(`uploaded ${files.length} instances (${(bytes / 1e6).toFixed(1)} MB, ${patients.length} patients) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const env = { ...process.env, CI: 'true', MEDSEG_DICOMWEB_USER: 'medseg', MEDSEG_DICOMWEB_PASSWORD: password };
  const cache = join(work, 'cache');
  /** @param {string} label @param {string[]} input */
  const measure = (label, input) => {
    const out = join(work, `ds-${label.replaceAll(/\W+/g, '-')}`);
    started = performance.now();
    const run = spawnSync(process.execPath, [bin, 'ingest', ...input, '--roi', 'GTV*', '--out', out], { encoding: 'utf8', env });
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 0) throw new Error(`${label}: exit ${run.status}\n${run.stderr}`);
    console.log(`${label.padEnd(34)} ${seconds.toFixed(1).padStart(6)} s  ${(patients.length / seconds).toFixed(2)} series/s  ${(files.length / seconds).toFixed(0)} instances/s  ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
    return seconds;
  };
  measure('ingest --images (disk)', ['--images', sts]);
  measure('ingest --dicomweb (empty cache)', ['--dicomweb', `${url}/dicom-web`, '--cache', cache]);
  measure('ingest --dicomweb (cache filled)', ['--dicomweb', `${url}/dicom-web`, '--cache', cache]);
} finally {
  orthanc.kill('SIGTERM');
  await new Promise((done) => orthanc.once('exit', done));
  rmSync(work, { recursive: true, force: true });
}
