import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DicomWebClient, inShard } from '@medseg/data';
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

describe('DICOMweb usage errors', () => {
  it('exit 2 for no input or two, a store with no server, a bad shard, credentials in the URL', async () => {
    const out = join(temporaryFolder('dw-usage'), 'ds');
    const none = await medseg(['ingest', '--out', out]);
    expect([none.status, none.stderr]).toEqual([2, 'medseg: give one of --images DIR or --dicomweb URL\n']);
    const both = await medseg(['predict', '--model', out, '--input', out, '--dicomweb', orthanc.dicomWeb, '--out', out]);
    expect([both.status, both.stderr]).toEqual([2, 'medseg: give one of --input DIR or --dicomweb URL\n']);
    const store = await medseg(['predict', '--model', out, '--input', out, '--out', out, '--store']);
    expect([store.status, store.stderr]).toEqual([2, 'medseg: --store needs --dicomweb or --store-url\n']);
    const shard = await medseg(['predict', '--model', out, '--input', out, '--out', out, '--shard', '3/3']);
    expect([shard.status, shard.stderr]).toEqual([2, "medseg: --shard: expected K/N with 0 <= K < N, got '3/3'\n"]);
    const env = await medseg(['predict', '--model', out, '--input', out, '--out', out, '--shard-from-env', '3'], { JOB_COMPLETION_INDEX: undefined });
    expect([env.status, env.stderr]).toEqual([2, "medseg: --shard-from-env with JOB_COMPLETION_INDEX: expected K/N with 0 <= K < N, got '/3'\n"]);
    const secret = await medseg(['ingest', '--dicomweb', `http://medseg:hunter2@127.0.0.1:1/dicom-web`, '--out', out]);
    expect(secret.status).toBe(1);
    expect(secret.stderr).toMatch(/^medseg: http:\/\/127\.0\.0\.1:1\/dicom-web: credentials in the URL/);
    expect(secret.stderr).not.toContain('hunter2');
  });
});

describe('DicomWebClient against Orthanc', () => {
  it('pages QIDO-RS results with limit and offset, losing and repeating none', async () => {
    const authorization = orthanc.authorization;
    const whole = new DicomWebClient({ url: orthanc.dicomWeb, authorization });
    const paged = new DicomWebClient({ url: orthanc.dicomWeb, authorization, pageSize: 3 });
    const series = await whole.searchSeries();
    expect(series).toHaveLength(4);
    expect(await paged.searchSeries()).toEqual(series);
    const image = series.find((s) => s.modality === 'MR')!;
    const instances = await whole.searchInstances(image);
    expect(instances.length).toBeGreaterThan(20);
    const pagedInstances = await paged.searchInstances(image);
    expect(pagedInstances.map((i) => i.sopInstanceUid).sort()).toEqual(instances.map((i) => i.sopInstanceUid).sort());
    expect(new Set(pagedInstances.map((i) => i.sopInstanceUid)).size).toBe(pagedInstances.length);
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
    expect(refused.stderr).toMatch(/\/dicom-web\/series(\?[^:]*)?: HTTP 401.*refused the credentials/);
    expect(proxy.requests).toHaveLength(1);
    const wrong = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, '--cache', temporaryFolder('dw-cache-401b'), ...ingestArgs(out)], { MEDSEG_DICOMWEB_USER: orthanc.user, MEDSEG_DICOMWEB_PASSWORD: 'wrong-secret-xyz' });
    expect(wrong.status).toBe(1);
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain('wrong-secret-xyz');
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });

  it('retries a request that times out and completes', async () => {
    const hung = new Set<string>();
    proxy.rule = (path) => (isInstanceRetrieve(path) && hung.size < 3 && !hung.has(path) && hung.add(path) ? 'hang' : 'pass');
    const out = join(temporaryFolder('dw-hang'), 'ds');
    const result = await medseg(['ingest', '--dicomweb', viaProxy(), '--study', studyOf.get(patients[1]!)!, '--request-timeout', '0.5', '--cache', temporaryFolder('dw-cache-hang'), ...ingestArgs(out)], credentials());
    expect(result.status, result.stderr).toBe(0);
    expect(proxy.requests.filter((r) => r.fault === 'hang')).toHaveLength(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ cases: 1, dicomweb: { failed: [] } });
  });

  it('falls back to the transfer syntax the server offers when it will not send the stored one (406)', async () => {
    proxy.requests.length = 0;
    proxy.rule = (path, _method, _seen, accept) => (isInstanceRetrieve(path) && accept.includes('transfer-syntax=*') ? 'status406' : 'pass');
    const out = join(temporaryFolder('dw-406'), 'ds');
    const result = await medseg(['ingest', '--dicomweb', viaProxy(), '--study', studyOf.get(patients[1]!)!, '--cache', temporaryFolder('dw-cache-406'), ...ingestArgs(out)], credentials());
    expect(result.status, result.stderr).toBe(0);
    const retrievals = proxy.requests.filter((r) => isInstanceRetrieve(r.path));
    expect(retrievals.filter((r) => r.fault === 'status406').length).toBe(retrievals.length / 2);
    expect(retrievals.filter((r) => r.fault === 'pass').every((r) => r.accept === 'multipart/related; type="application/dicom"')).toBe(true);
    expect(JSON.parse(result.stdout)).toMatchObject({ cases: 1, dicomweb: { failed: [] } });
  });

  it('retries 500 then 200 and completes', async () => {
    const failedOnce = new Set<string>();
    proxy.rule = (path) => (isInstanceRetrieve(path) && !failedOnce.has(path) && failedOnce.add(path) ? 'status500' : 'pass');
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
    const rerun = await medseg(['ingest', '--dicomweb', viaProxy(), ...studies, '--cache', cache, ...ingestArgs(out), '--resume'], credentials());
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
    const rerun = await medseg(['ingest', '--dicomweb', orthanc.dicomWeb, ...studies, '--cache', cache, ...ingestArgs(out), '--resume'], credentials());
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).dicomweb).toMatchObject({ fetched: instanceCount - arrived.length, reused: arrived.length });
    expect(datasetWithoutSourcePaths(out)).toEqual(datasetWithoutSourcePaths(folderDataset));
  });
});

describe('medseg predict --dicomweb', () => {
  const work = temporaryFolder('dw-predict');
  const run = join(work, 'run');
  const local = join(work, 'local');
  const weights = sharedPath('weights/mobilenet_v1_0.25_224');
  const predictArgs = ['--model', run, '--backend', 'wasm', '--batch-size', '16', '--json'];
  const orthancGet = async (path: string) => {
    const response = await fetch(`${orthanc.url}${path}`, { headers: { authorization: orthanc.authorization } });
    expect(response.ok, path).toBe(true);
    return response;
  };
  type Record = { cases: { id: string; seriesInstanceUid: string; files: { nifti: string; seg?: string }; store?: { status: string; sopInstanceUid?: string; studyInstanceUid?: string; reason?: string } }[]; skipped: unknown[] };
  const readRecord = (out: string) => JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as Record;

  beforeAll(async () => {
    // A tiny one-epoch model: what it segments does not matter here, only that the same series give the same labels.
    const dataset = join(work, 'ds');
    const ingest = await medseg(['ingest', '--images', stsSubset(patients), '--roi', 'GTV*', '--out', dataset, '--val', '0', '--val-patients', patients[1]!]);
    expect(ingest.status, ingest.stderr).toBe(0);
    const train = await medseg(['train', '--dataset', dataset, '--out', run, '--no-plan', '--epochs', '1', '--augment', 'none', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', weights]);
    expect(train.status, train.stderr).toBe(0);
    const predicted = await medseg(['predict', ...predictArgs, '--input', stsSubset(patients, ['image']), '--out', local]);
    expect(predicted.status, predicted.stderr).toBe(0);
  }, 300_000);

  it('--store: Orthanc holds each SEG under its study, and the SEG fetched back is the local one', async () => {
    const out = join(work, 'stored');
    const study = studyOf.get(patients[0]!)!;
    const result = await medseg(['predict', ...predictArgs, '--dicomweb', orthanc.dicomWeb, '--study', study, '--cache', join(work, 'cache'), '--out', out, '--store'], credentials());
    expect(result.status, result.stderr).toBe(0);
    const record = readRecord(out);
    expect(record.cases.map((c) => c.id)).toEqual([patients[0]]);
    const [predicted] = record.cases;
    expect(predicted!.store).toMatchObject({ status: 'stored', studyInstanceUid: study });
    expect(result.stderr).toContain(`stored SEG ${predicted!.store!.sopInstanceUid} in study ${study}`);
    // The same series from disk and from the PACS give the same label map.
    const fromDisk = readRecord(local).cases.find((c) => c.id === patients[0])!;
    expect(readFileSync(join(out, predicted!.files.nifti)).equals(readFileSync(join(local, fromDisk.files.nifti)))).toBe(true);
    // Orthanc's own REST API, not our client: which study the SEG is filed under, and its bytes.
    const lookup = (await (await fetch(`${orthanc.url}/tools/lookup`, { method: 'POST', headers: { authorization: orthanc.authorization }, body: predicted!.store!.sopInstanceUid! })).json()) as { ID: string; Type: string }[];
    expect(lookup.map((l) => l.Type)).toEqual(['Instance']);
    const instance = (await (await orthancGet(`/instances/${lookup[0]!.ID}`)).json()) as { ParentSeries: string };
    const series = (await (await orthancGet(`/series/${instance.ParentSeries}`)).json()) as { ParentStudy: string; MainDicomTags: { Modality: string } };
    const parent = (await (await orthancGet(`/studies/${series.ParentStudy}`)).json()) as { MainDicomTags: { StudyInstanceUID: string } };
    expect(series.MainDicomTags.Modality).toBe('SEG');
    expect(parent.MainDicomTags.StudyInstanceUID).toBe(study);
    const stored = Buffer.from(await (await orthancGet(`/instances/${lookup[0]!.ID}/file`)).arrayBuffer());
    expect(stored.equals(readFileSync(join(out, predicted!.files.seg!)))).toBe(true);
  });

  it('--store to a failing server: retried, listed as failed in predictions.json, the SEG kept on disk', async () => {
    const proxy = await startFaultProxy(orthanc.url);
    try {
      proxy.rule = (_path, method) => (method === 'POST' ? 'status500' : 'pass');
      const out = join(work, 'store-failed');
      const result = await medseg(['predict', ...predictArgs, '--input', stsSubset([patients[1]!], ['image']), '--out', out, '--store', '--store-url', `${proxy.url}/dicom-web`], credentials());
      expect(result.status).toBe(1);
      expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(4);
      const [predicted] = readRecord(out).cases;
      expect(predicted!.store).toMatchObject({ status: 'failed' });
      expect(predicted!.store!.reason).toMatch(/HTTP 500.*after 4 attempts/);
      expect(existsSync(join(out, predicted!.files.seg!))).toBe(true);
      expect(result.stderr).toMatch(/SEG not stored .*HTTP 500/);
    } finally {
      await proxy.stop();
    }
  });

  it('--shard K/3: the shards together predict every series once, with the unsharded labels', async () => {
    for (const patient of [2, 18].map(stsPatient)) await uploadToOrthanc(orthanc, instanceFiles(patient));
    // A second MR series of STS_002 (Orthanc's own modify: new series and instance UIDs) in another shard than
    // the first, so that each shard holds one series of a patient who has two: the case IDs must still agree.
    const studies = (await (await orthancGet('/studies?expand')).json()) as { PatientMainDicomTags: { PatientID: string }; Series: string[] }[];
    const mr = [];
    for (const id of studies.find((x) => x.PatientMainDicomTags.PatientID === stsPatient(2))!.Series) {
      const info = (await (await orthancGet(`/series/${id}`)).json()) as { ID: string; MainDicomTags: { Modality: string; SeriesInstanceUID: string } };
      if (info.MainDicomTags.Modality === 'MR') mr.push(info);
    }
    const original = mr[0]!.MainDicomTags.SeriesInstanceUID;
    const home = [0, 1, 2].find((index) => inShard(original, { index, count: 3 }))!;
    let copy = '';
    for (let n = 1; copy === ''; n++) if (!inShard(`2.25.${n}`, { index: home, count: 3 })) copy = `2.25.${n}`;
    const modified = await fetch(`${orthanc.url}/series/${mr[0]!.ID}/modify`, { method: 'POST', headers: { authorization: orthanc.authorization }, body: JSON.stringify({ Replace: { SeriesInstanceUID: copy, SeriesNumber: '901', SeriesDescription: 'copy' }, Force: true }) });
    expect(modified.ok).toBe(true);
    const whole = join(work, 'whole');
    const all = await medseg(['predict', ...predictArgs, '--dicomweb', orthanc.dicomWeb, '--cache', join(work, 'cache-whole'), '--out', whole], credentials());
    expect(all.status, all.stderr).toBe(0);
    const expected = readRecord(whole).cases;
    expect(expected.map((c) => c.id).filter((id) => !id.startsWith(stsPatient(2))).sort()).toEqual([8, 18, 25].map(stsPatient));
    expect(expected.filter((c) => c.id.startsWith(`${stsPatient(2)}_`))).toHaveLength(2);
    const seen: string[] = [];
    for (let k = 0; k < 3; k++) {
      const out = join(work, `shard-${k}`);
      // Shard 1 takes its index from the environment, as a Kubernetes Indexed Job's pod does.
      const shard = k === 1 ? ['--shard-from-env', '3'] : ['--shard', `${k}/3`];
      const result = await medseg(['predict', ...predictArgs, '--dicomweb', orthanc.dicomWeb, '--cache', join(work, `cache-${k}`), '--out', out, ...shard], { ...credentials(), JOB_COMPLETION_INDEX: String(k) });
      expect(result.status, result.stderr).toBe(0);
      for (const c of readRecord(out).cases) {
        seen.push(c.id);
        const reference = expected.find((e) => e.id === c.id)!;
        expect(c.seriesInstanceUid).toBe(reference.seriesInstanceUid);
        expect(readFileSync(join(out, c.files.nifti)).equals(readFileSync(join(whole, reference.files.nifti))), c.id).toBe(true);
      }
      // Each shard retrieves only its own series.
      expect(result.stderr).toMatch(new RegExp(`dicomweb: ${readRecord(out).cases.length} series`));
    }
    expect(seen.sort()).toEqual(expected.map((c) => c.id).sort());
  });
});
