import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sharedPath } from '@medseg/data/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { medsegBin, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';
import { type FaultProxy, isInstanceRetrieve, startFaultProxy } from './support/faultProxy.js';
import { type Orthanc, startOrthanc, uploadToOrthanc } from './support/orthanc.js';

// The PACS in the loop: a real Orthanc (Debian's, with its DICOMweb plugin) on loopback, a few small STS
// patients uploaded through Orthanc's own REST API, and the real bin talking to it (asynchronously, so that
// the fault-injecting proxy in this process keeps serving).

const patients = [8, 25].map(stsPatient);
let orthanc: Orthanc;
const studyOf = new Map<string, string>();
const instanceFiles = (patient: string) => ['image', 'mask'].flatMap((part) => readdirSync(sharedPath('data/sts/dicom', patient, part)).map((f) => sharedPath('data/sts/dicom', patient, part, f)));

interface Run { status: number | null; stdout: string; stderr: string }
function medseg(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [medsegBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const credentials = () => ({ MEDSEG_DICOMWEB_USER: orthanc.user, MEDSEG_DICOMWEB_PASSWORD: orthanc.password });

function filesUnder(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

/** A dataset's files with the manifest's and case records' source paths (which name where the files were read) blanked. */
function datasetWithoutSourcePaths(dataset: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, bytes] of filesUnder(dataset)) {
    if (!name.endsWith('.json')) {
      files.set(name, bytes.toString('base64'));
      continue;
    }
    const blank = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(blank);
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'firstImage' || k === 'mask' && typeof v === 'string' && v.includes('/') || k === 'images' || k === 'path' ? '<source>' : blank(v)]));
    };
    files.set(name, JSON.stringify(blank(JSON.parse(bytes.toString('utf8')))));
  }
  return files;
}

beforeAll(async () => {
  orthanc = await startOrthanc();
  for (const patient of patients) await uploadToOrthanc(orthanc, instanceFiles(patient));
  const studies = (await (await fetch(`${orthanc.url}/studies?expand`, { headers: { authorization: orthanc.authorization } })).json()) as { MainDicomTags: { StudyInstanceUID: string }; PatientMainDicomTags: { PatientID: string } }[];
  for (const s of studies) studyOf.set(s.PatientMainDicomTags.PatientID, s.MainDicomTags.StudyInstanceUID);
}, 120_000);
afterAll(async () => orthanc?.stop());

const ingestArgs = (out: string) => ['--roi', 'GTV*', '--out', out, '--val', '0.5', '--seed', '3', '--json'];
let folderDataset: string;
let instanceCount: number;

describe('medseg ingest --dicomweb', () => {
  it('gives the dataset that ingest from the same files on disk gives, and a rerun fetches nothing', async () => {
    folderDataset = join(temporaryFolder('dw-folder'), 'ds');
    const fromDisk = await medseg(['ingest', '--images', stsSubset(patients), ...ingestArgs(folderDataset)]);
    expect(fromDisk.status, fromDisk.stderr).toBe(0);

    const cache = temporaryFolder('dw-cache');
    const remote = join(temporaryFolder('dw-remote'), 'ds');
    const studies = patients.flatMap((p) => ['--study', studyOf.get(p)!]);
    const fromPacs = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, ...studies, '--cache', cache, ...ingestArgs(remote)], credentials());
    expect(fromPacs.status, fromPacs.stderr).toBe(0);
    instanceCount = patients.reduce((n, p) => n + instanceFiles(p).length, 0);
    expect(JSON.parse(fromPacs.stdout).dicomweb).toMatchObject({ series: 4, instances: instanceCount, fetched: instanceCount, reused: 0, failed: [] });
    expect(datasetWithoutSourcePaths(remote)).toEqual(datasetWithoutSourcePaths(folderDataset));
    // The cached instances are the uploaded files, byte for byte.
    const cached = [...filesUnder(join(cache, 'instances')).values()].map((b) => b.toString('base64')).sort();
    expect(cached).toEqual(patients.flatMap(instanceFiles).map((f) => readFileSync(f).toString('base64')).sort());

    const again = join(temporaryFolder('dw-again'), 'ds');
    const rerun = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, ...studies, '--cache', cache, ...ingestArgs(again)], credentials());
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).dicomweb).toMatchObject({ fetched: 0, reused: instanceCount });
    expect(datasetWithoutSourcePaths(again)).toEqual(datasetWithoutSourcePaths(folderDataset));
  });

  it('selects by --series and --query, taking the RTSTRUCT of the same study along', async () => {
    const out = join(temporaryFolder('dw-query'), 'ds');
    const result = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, '--query', `PatientID=${patients[1]}&Modality=MR`, '--cache', temporaryFolder('dw-cache-q'), ...ingestArgs(out)], credentials());
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { cases: number; dicomweb: { series: number } };
    expect(summary).toMatchObject({ cases: 1, dicomweb: { series: 2 } });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { cases: { id: string; seriesInstanceUid: string; source: { maskKind: string } }[] };
    expect(manifest.cases.map((c) => [c.id, c.source.maskKind])).toEqual([[patients[1], 'rtstruct']]);

    const bySeries = join(temporaryFolder('dw-series'), 'ds');
    const series = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, '--series', manifest.cases[0]!.seriesInstanceUid, '--cache', temporaryFolder('dw-cache-s'), ...ingestArgs(bySeries)], credentials());
    expect(series.status, series.stderr).toBe(0);
    expect(JSON.parse(series.stdout)).toMatchObject({ cases: 1, dicomweb: { series: 2 } });
    const unknown = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, '--series', '1.2.3.4', '--cache', temporaryFolder('dw-cache-u'), ...ingestArgs(join(temporaryFolder('dw-unknown'), 'ds'))], credentials());
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no series 1\.2\.3\.4 on the server/);
  });
});

describe('medseg ingest --dicomweb against a failing server', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(orthanc.url);
  });
  afterAll(async () => proxy?.stop());
  const viaProxy = () => `${proxy.url}/dicom-web`;
  const cacheFiles = (cache: string) => (existsSync(join(cache, 'instances')) ? [...filesUnder(join(cache, 'instances')).keys()] : []);

  it('answers 401 without credentials: a clear error, no retries, the password never shown', async () => {
    const out = join(temporaryFolder('dw-401'), 'ds');
    proxy.requests.length = 0;
    const refused = await medseg(['ingest', '--dicomweb', viaProxy(), '--cache', temporaryFolder('dw-cache-401'), ...ingestArgs(out)]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/\/dicom-web\/series: HTTP 401.*refused the credentials/);
    expect(proxy.requests).toHaveLength(1);
    const wrong = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, '--cache', temporaryFolder('dw-cache-401b'), ...ingestArgs(out)], { MEDSEG_DICOMWEB_USER: orthanc.user, MEDSEG_DICOMWEB_PASSWORD: 'wrong-secret-xyz' });
    expect(wrong.status).toBe(1);
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain('wrong-secret-xyz');
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });

  it('retries 500 then 200 and completes', async () => {
    proxy.rule = (path, _method, seen) => (isInstanceRetrieve(path) && seen === 0 ? 'status500' : 'pass');
    const out = join(temporaryFolder('dw-500'), 'ds');
    const result = await medseg(['ingest', '--dicomweb', viaProxy(), ...patients.flatMap((p) => ['--study', studyOf.get(p)!]), '--cache', temporaryFolder('dw-cache-500'), ...ingestArgs(out)], credentials());
    expect(result.status, result.stderr).toBe(0);
    expect(proxy.requests.filter((r) => r.fault === 'status500').length).toBe(instanceCount);
    expect(datasetWithoutSourcePaths(out)).toEqual(datasetWithoutSourcePaths(folderDataset));
  });

  it('names the instance of a truncated body or a non-DICOM part, keeps the other series, and the rerun completes', async () => {
    const instances = proxy.requests.filter((r) => isInstanceRetrieve(r.path)).map((r) => r.path).sort();
    const truncated = instances[0]!;
    const notDicom = instances.at(-1)!;
    proxy.requests.length = 0;
    proxy.rule = (path) => (path === truncated ? 'truncate' : path === notDicom ? 'nonDicom' : 'pass');
    const cache = temporaryFolder('dw-cache-bad');
    const out = join(temporaryFolder('dw-bad'), 'ds');
    const studies = patients.flatMap((p) => ['--study', studyOf.get(p)!]);
    const result = await medseg(['ingest', '--dicomweb', viaProxy(), ...studies, '--cache', cache, ...ingestArgs(out)], credentials());
    expect(result.status).toBe(1);
    const uid = (path: string) => path.split('/').pop()!;
    expect(result.stderr).toMatch(new RegExp(`instance [0-9./]*${uid(truncated).replaceAll('.', '\\.')}: body truncated .*after 4 attempts`));
    expect(result.stderr).toMatch(new RegExp(`instance [0-9./]*${uid(notDicom).replaceAll('.', '\\.')}: the part is not a DICOM object`));
    // Truncation is retried (a cut transfer may not recur); a non-DICOM object is not.
    expect(proxy.requests.filter((r) => r.path === truncated).length).toBe(4);
    expect(proxy.requests.filter((r) => r.path === notDicom).length).toBe(1);
    expect(cacheFiles(cache).some((f) => f.includes(uid(truncated)) || f.includes(uid(notDicom)) || f.includes('.tmp-'))).toBe(false);
    proxy.rule = () => 'pass';
    const rerun = await medseg(['ingest', '--dicomweb', viaProxy(), ...studies, '--cache', cache, ...ingestArgs(out)], credentials());
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).dicomweb).toMatchObject({ fetched: 2, reused: instanceCount - 2 });
    expect(datasetWithoutSourcePaths(out)).toEqual(datasetWithoutSourcePaths(folderDataset));
  });

  it('survives a server that stops half-way: what arrived is whole, the rerun fetches the rest', async () => {
    let served = 0;
    proxy.rule = (path) => (isInstanceRetrieve(path) && ++served > 20 ? 'stop' : 'pass');
    const cache = temporaryFolder('dw-cache-stop');
    const out = join(temporaryFolder('dw-stop'), 'ds');
    const studies = patients.flatMap((p) => ['--study', studyOf.get(p)!]);
    const started = Date.now();
    const result = await medseg(['ingest', '--dicomweb', viaProxy(), ...studies, '--cache', cache, ...ingestArgs(out)], credentials());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/instance [0-9./]+: .*(cannot reach the server|connection lost)/);
    expect(result.stderr).toMatch(/not retrieved: the server stopped answering/);
    expect(Date.now() - started).toBeLessThan(60_000);
    const arrived = cacheFiles(cache);
    expect(arrived.length).toBeGreaterThan(0);
    expect(arrived.length).toBeLessThan(instanceCount);
    const originals = new Set(patients.flatMap(instanceFiles).map((f) => readFileSync(f).toString('base64')));
    for (const bytes of filesUnder(join(cache, 'instances')).values()) expect(originals.has(bytes.toString('base64'))).toBe(true);
    const rerun = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, ...studies, '--cache', cache, ...ingestArgs(out)], credentials());
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).dicomweb).toMatchObject({ fetched: instanceCount - arrived.length, reused: arrived.length });
    expect(datasetWithoutSourcePaths(out)).toEqual(datasetWithoutSourcePaths(folderDataset));
  });
});
