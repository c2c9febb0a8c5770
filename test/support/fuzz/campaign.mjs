// A seeded fuzz campaign over every libs/data reader. Each input is made from a real file in ../shared by a
// mutation drawn from (seed, input index), so a run is reproducible input by input whatever the timing. Each
// input runs in its own child process under a V8 heap cap, with its resident memory (which counts the
// ArrayBuffers and wasm memory outside the heap) polled and capped; the child reads it, writes a summary into
// its output folder, and reports. The campaign checks the four rules of issue 17: a result or a typed error,
// never a crash or hang, never more than the memory cap, never a write outside the output folder.
// Used by test/fuzz-campaign.test.ts (about a minute) and bench/fuzz-campaign.mjs (as long as you like).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createRng, encodeNifti, NiftiDatatype, parseNifti } from '@medseg/data';

const here = dirname(fileURLToPath(import.meta.url));
const childScript = join(here, 'child.mjs');

/** The readers and the real files their inputs are made from (paths under ../shared/data). */
export const targets = [
  ...[
    'dicom/pydicom/test_files/CT_small.dcm',
    'dicom/pydicom/test_files/MR_small_implicit.dcm',
    'dicom/pydicom/test_files/MR_small_bigendian.dcm',
    'dicom/pydicom/test_files/image_dfl.dcm',
    'dicom/pydicom/test_files/MR_small_RLE.dcm',
    'dicom/pydicom/test_files/SC_rgb_jpeg_dcmtk.dcm',
    'dicom/pydicom/test_files/JPGExtended.dcm',
    'dicom/pydicom-data/JPEG-LL.dcm',
    'dicom/pydicom/test_files/MR_small_jpeg_ls_lossless.dcm',
    'dicom/pydicom/test_files/MR_small_jp2klossless.dcm',
    'dicom/pydicom-data/HTJ2KLossless_08_RGB.dcm',
    'dicom/dcm_qa_enh/In/Siemens/XA10/6_1.dcm',
  ].map((file) => ({ reader: 'dicom', file, kind: 'dicom' })),
  { reader: 'rtstruct', file: 'sts/dicom/STS_001/mask/RS.dcm', kind: 'dicom' },
  { reader: 'seg', file: 'seg/highdicom/data/test_files/seg_image_cr_binary.dcm', kind: 'dicom' },
  { reader: 'seg', file: 'seg/highdicom/data/test_files/seg_image_sm_numbers.dcm', kind: 'dicom' },
  { reader: 'nifti', file: 'sts/nifti/STS_001/MR_T1_mask.nii.gz', kind: 'nifti' },
  { reader: 'png', file: 'seg/dcmqi/data/segmentations/24x38x3/screenshots/slicer.png', kind: 'png', shape: [879, 785, 1] },
  { reader: 'manifest', file: 'sts/nifti/STS_001/MR_T1_mask.nii.gz', kind: 'manifest' },
];

const pick = (rng, list) => list[rng.int(0, list.length)];

const byteMutations = {
  truncate: (b, rng) => b.subarray(0, rng.int(0, b.length + 1)),
  flipBytes: (b, rng) => {
    const out = Buffer.from(b);
    for (let i = rng.int(1, 16); i > 0; i--) out[rng.int(0, out.length)] = rng.int(0, 256);
    return out;
  },
  flipHeader: (b, rng) => {
    const out = Buffer.from(b);
    for (let i = 0; i < 4; i++) out[rng.int(0, Math.min(out.length, 2048))] = rng.int(0, 256);
    return out;
  },
  // Lengths, sizes and counts set to extremes where the header keeps them.
  bigNumber: (b, rng) => {
    const out = Buffer.from(b);
    const at = rng.int(0, Math.max(1, Math.min(out.length - 4, 4096)));
    const value = pick(rng, [0, 1, 0xffff, 0x7fff, 0xffffffff, 0x7fffffff, 0x80000000]);
    if (value > 0xffff) out.writeUInt32LE(value >>> 0, at);
    else out.writeUInt16LE(value, at);
    return out;
  },
  zeroRange: (b, rng) => {
    const out = Buffer.from(b);
    const start = rng.int(0, out.length);
    out.fill(0, start, Math.min(out.length, start + rng.int(1, 512)));
    return out;
  },
  ffRange: (b, rng) => {
    const out = Buffer.from(b);
    const start = rng.int(0, out.length);
    out.fill(0xff, start, Math.min(out.length, start + rng.int(1, 64)));
    return out;
  },
  insertGarbage: (b, rng) => {
    const at = rng.int(0, b.length + 1);
    const garbage = Buffer.from(Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 256)));
    return Buffer.concat([b.subarray(0, at), garbage, b.subarray(at)]);
  },
  tail: (b, rng) => b.subarray(0, b.length - rng.int(1, Math.min(4096, b.length))),
};

// NIfTI-1 header fields (offset, type) and the extremes to try in them.
const niftiFields = [[40, 'i16'], [42, 'i16'], [44, 'i16'], [46, 'i16'], [48, 'i16'], [70, 'i16'], [72, 'i16'], [76, 'f32'], [80, 'f32'], [108, 'f32'], [112, 'f32'], [116, 'f32'], [252, 'i16'], [254, 'i16'], [280, 'f32'], [296, 'f32']];
const niftiValues = [0, -1, 1, 7, 32767, -32768, Number.NaN, Infinity, 1e38, -1e38, 2 ** 31, 1e-30];

function mutateNifti(gz, rng) {
  let raw = Buffer.from(gunzipSync(gz));
  const kind = pick(rng, ['field', 'field', 'field', ...Object.keys(byteMutations)]);
  if (kind === 'field') {
    for (let i = rng.int(1, 4); i > 0; i--) {
      const [offset, type] = pick(rng, niftiFields);
      const value = pick(rng, niftiValues);
      if (type === 'i16') raw.writeInt16LE(Number.isFinite(value) ? Math.max(-32768, Math.min(32767, Math.trunc(value))) : 0, offset);
      else raw.writeFloatLE(value, offset);
    }
  } else {
    raw = byteMutations[kind](raw, rng);
  }
  // Half the inputs stay gzipped (the inflate path), half are plain .nii.
  const gzip = rng.int(0, 2) === 0;
  return { bytes: gzip ? gzipSync(raw) : raw, name: gzip ? 'input.nii.gz' : 'input.nii', mutation: `nifti-${kind}` };
}

const hostileIds = ['../../outside', '/etc/passwd', '..', '.', '', 'a/../../b', 'C:\\x', 'x'.repeat(300), 'ok', 'OK', 123, null, '\u001b[2J'];
const hostilePaths = (outside) => ['../outside.nii.gz', '../../outside.nii.gz', outside, 'cases/../../outside.nii.gz', '', 'cases/c1/image.nii.gz', 'cases/c1/mask.nii.gz', 42, '/dev/zero'];

function mutateManifest(manifest, rng, outside) {
  const kind = pick(rng, ['id', 'id', 'file', 'file', 'duplicate', 'drop', 'type', 'bytes']);
  const m = structuredClone(manifest);
  const c = m.cases[0];
  if (kind === 'id') c.id = pick(rng, hostileIds);
  if (kind === 'file') c.files[pick(rng, ['image', 'mask'])] = pick(rng, hostilePaths(outside));
  if (kind === 'duplicate') m.cases.push({ ...c, id: pick(rng, hostileIds) });
  if (kind === 'drop') delete c[pick(rng, ['id', 'files'])];
  if (kind === 'type') m[pick(rng, ['cases', 'schemaVersion'])] = pick(rng, [null, 'x', 2, {}]);
  let text = JSON.stringify(m);
  if (kind === 'bytes') text = byteMutations.flipBytes(Buffer.from(text), rng).toString('latin1');
  return { text, mutation: `manifest-${kind}` };
}

/** CPU seconds (user + system) a process has used, from /proc; 0 once it has gone. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // After the command: state is field 3, utime and stime are fields 14 and 15 (in clock ticks, 100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory of a process in MB (from /proc), or 0 once it has gone. */
function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function listTree(root, skip) {
  const found = [];
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (path === skip) continue;
      if (entry.isDirectory()) walk(path);
      else found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

/**
 * Builds input `index` of the campaign `seed` in `folder` and returns the child's job. Deterministic in
 * (seed, index).
 */
function buildInput(seed, index, folder, sharedData, originals, outside, maxVoxels) {
  const rng = createRng(seed).child(`input-${index}`);
  const target = targets[index % targets.length];
  const original = originals.get(target.file);
  const out = join(folder, 'out');
  mkdirSync(out, { recursive: true });
  const job = { reader: target.reader, out, maxVoxels, ...(target.shape ? { shape: target.shape } : {}) };
  if (target.kind === 'dicom') {
    const kind = pick(rng, Object.keys(byteMutations));
    const input = join(folder, 'input.dcm');
    writeFileSync(input, byteMutations[kind](original, rng));
    return { ...job, input, mutation: `${target.reader}-${kind}`, target: target.file };
  }
  if (target.kind === 'nifti') {
    const { bytes, name, mutation } = mutateNifti(original, rng);
    const input = join(folder, name);
    writeFileSync(input, bytes);
    return { ...job, input, mutation, target: target.file };
  }
  if (target.kind === 'png') {
    const kind = pick(rng, Object.keys(byteMutations));
    const input = join(folder, 'png');
    mkdirSync(input);
    writeFileSync(join(input, '0000.png'), byteMutations[kind](original, rng));
    return { ...job, input, mutation: `png-${kind}`, target: target.file };
  }
  // A dataset: one case whose image and mask are made from the STS mask, and a mutated manifest.
  const dataset = join(folder, 'ds');
  mkdirSync(join(dataset, 'cases/c1'), { recursive: true });
  writeFileSync(join(dataset, 'cases/c1/image.nii.gz'), originals.get('dataset-image'));
  writeFileSync(join(dataset, 'cases/c1/mask.nii.gz'), original);
  const manifest = { schemaVersion: 1, classes: ['background', 'roi'], cases: [{ id: 'c1', patientId: 'P1', files: { image: 'cases/c1/image.nii.gz', mask: 'cases/c1/mask.nii.gz', preview: 'previews/c1.png' } }] };
  const { text, mutation } = mutateManifest(manifest, rng, outside);
  writeFileSync(join(dataset, 'manifest.json'), text);
  return { ...job, input: dataset, mutation, target: 'manifest.json' };
}

function runChild(job, { heapMb, capMb, timeoutMs }) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${heapMb}`, childScript, JSON.stringify(job)], {
      cwd: dirname(job.out),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '2' },
    });
    let stdout = '';
    let stderr = '';
    let verdict;
    let peakMb = 0;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // A hang is CPU time spent, not wall time: on a loaded machine a niced child may wait long for a core.
    const poll = setInterval(() => {
      const now = rssMb(child.pid);
      peakMb = Math.max(peakMb, now);
      if (now > capMb && !verdict) {
        verdict = 'over-cap';
        child.kill('SIGKILL');
      } else if (!verdict && cpuSeconds(child.pid) * 1000 > timeoutMs) {
        verdict = 'hang';
        child.kill('SIGKILL');
      }
    }, 20);
    // A child blocked without using CPU (waiting forever) is a hang too, after ten times as long on the clock.
    const timer = setTimeout(() => {
      verdict ??= 'hang';
      child.kill('SIGKILL');
    }, timeoutMs * 10);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      let report;
      try {
        report = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        report = undefined;
      }
      if (report) peakMb = Math.max(peakMb, report.maxRssKb / 1024);
      if (!verdict && report && peakMb > capMb) verdict = 'over-cap';
      if (!verdict && (!report || code !== 0)) verdict = 'crash';
      done({ outcome: verdict ?? report.outcome, error: report?.error, message: report?.message ?? (verdict ? `${verdict} (exit ${code}, signal ${signal}) ${stderr.slice(-400)}` : undefined), peakMb });
    });
  });
}

/**
 * Runs inputs 0, 1, 2, ... of campaign `seed` (or only `indices`, to replay failures) until `durationMs` has
 * passed or `maxInputs` are done, `concurrency` at a time. A hang is `timeoutMs` of CPU time in one child. Returns every result and the counts by outcome, error class and mutation.
 */
export async function runCampaign(options) {
  const { seed, durationMs, maxInputs = Infinity, indices, concurrency = 2, capMb = 768, heapMb = 256, timeoutMs = 10_000, maxVoxels = 2 ** 22, workRoot, sharedData, onResult } = options;
  const root = resolve(workRoot);
  mkdirSync(root, { recursive: true });
  const outside = join(root, 'outside.nii.gz');
  const originals = new Map(targets.map((t) => [t.file, readFileSync(join(sharedData, t.file))]));
  // The manifest case's image: the STS mask as float32, which readDatasetCase accepts as a normalised image.
  const mask = parseNifti(originals.get('sts/nifti/STS_001/MR_T1_mask.nii.gz'));
  originals.set('dataset-image', gzipSync(encodeNifti({ ...mask, data: Float32Array.from(mask.data) }, { datatype: NiftiDatatype.Float32 })));
  writeFileSync(outside, originals.get('sts/nifti/STS_001/MR_T1_mask.nii.gz'));
  const expectedTop = new Set(['outside.nii.gz']);

  const started = Date.now();
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < (indices ? indices.length : maxInputs) && Date.now() - started < durationMs) {
      const index = indices ? indices[next++] : next++;
      const folder = join(root, `input-${index}`);
      expectedTop.add(`input-${index}`);
      const job = buildInput(seed, index, folder, sharedData, originals, outside, maxVoxels);
      const before = listTree(folder, job.out);
      const result = { index, reader: job.reader, mutation: job.mutation, target: job.target, ...(await runChild(job, { heapMb, capMb, timeoutMs })) };
      // Nothing may change outside the output folder: not beside the input, not in the campaign root.
      const after = listTree(folder, job.out);
      const strays = [
        ...after.filter((f) => !before.includes(f)).map((f) => join(folder, f)),
        ...readdirSync(root).filter((name) => !expectedTop.has(name)).map((name) => join(root, name)),
      ];
      if (strays.length > 0 && result.outcome !== 'crash') Object.assign(result, { outcome: 'wrote-outside', message: strays.join(', ') });
      results.push(result);
      onResult?.(result);
      if (result.outcome === 'ok' || result.outcome === 'typed') rmSync(folder, { recursive: true, force: true });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const count = (key) => results.reduce((acc, r) => ((acc[key(r)] = (acc[key(r)] ?? 0) + 1), acc), {});
  return {
    seed,
    inputs: results.length,
    seconds: (Date.now() - started) / 1000,
    outcomes: count((r) => r.outcome),
    errors: count((r) => (r.outcome === 'typed' ? r.error : r.outcome)),
    readers: count((r) => `${r.reader}:${r.outcome}`),
    peakMb: Math.max(0, ...results.map((r) => r.peakMb)),
    failures: results.filter((r) => r.outcome !== 'ok' && r.outcome !== 'typed'),
    results,
  };
}
