import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';

// A three-patient STS dataset (STS_001-002 train, STS_003 validation), a one-epoch 64x64 training run, and
// predictions on STS_003's DICOM series: the whole train → predict path through the real commands.
const work = mkdtempSync(join(tmpdir(), 'medseg-models-cli-'));
const images = join(work, 'images');
const dataset = join(work, 'dataset');
const runDir = join(work, 'run');
const weights = sharedPath('weights/mobilenet_v1_0.25_224');
const small = ['--no-plan', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', weights];
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bin = join(repoRoot, 'apps/cli/bin/medseg.js');

/** The real bin (built by the integration project's build dependency), as users run it. */
function medseg(args: readonly string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 24 });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

beforeAll(() => {
  mkdirSync(images);
  // Links, not copies: the shared data stays where it is.
  for (const id of ['STS_001', 'STS_002', 'STS_003']) symlinkSync(sharedPath('data/sts/dicom', id), join(images, id));
  const ingest = medseg(['ingest', '--images', images, '--out', dataset, '--roi', 'GTV*', '--val', '0', '--val-patients', 'STS_003']);
  expect(ingest.status, ingest.err).toBe(0);
});

describe('medseg train and predict', () => {
  it('trains, then predicts a DICOM series into a NIfTI label map on its grid and a SEG that validates and reads back the same', () => {
    const train = medseg(['train', '--dataset', dataset, '--out', runDir, '--epochs', '1', '--augment', 'light', '--json', ...small]);
    expect(train.status, train.err).toBe(0);
    const summary = JSON.parse(train.out) as { epochs: number; stopped: string; best: { valDicePatient: number } | null };
    expect(summary).toMatchObject({ epochs: 1, stopped: 'completed' });
    expect(train.err).toMatch(/epoch 1\/1: loss [\d.]+, val Dice per slice/);
    for (const file of ['best/weights.bin', 'last/optimizer.bin', 'last/state.json', 'last/config.json', 'log.jsonl']) expect(existsSync(join(runDir, file))).toBe(true);

    // The run record, filled from the real run: version, command line, case IDs of the dataset's splits.
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      medsegVersion: string;
      commandLine: string[];
      commit: string | null;
      runtime: Record<string, unknown>;
      dataset: { caseIds: Record<string, string[]>; manifestSha256: string; modality: string };
    };
    const version = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).stdout.trim();
    expect(run.medsegVersion).toBe(version);
    expect(run.commandLine).toEqual(['medseg', 'train', '--dataset', dataset, '--out', runDir, '--epochs', '1', '--augment', 'light', '--json', ...small]);
    const manifestText = readFileSync(join(dataset, 'manifest.json'));
    const manifest = JSON.parse(manifestText.toString()) as { cases: { id: string; split: string; modality: string }[] };
    const ids = (split: string) => manifest.cases.filter((c) => c.split === split).map((c) => c.id);
    expect(run.dataset.caseIds).toEqual({ train: ids('train'), val: ids('val'), test: ids('test') });
    expect(run.dataset.caseIds['val']).toEqual(['STS_003']);
    expect(run.dataset.manifestSha256).toBe(createHash('sha256').update(manifestText).digest('hex'));
    expect(run.dataset.modality).toBe(manifest.cases[0]!.modality);
    expect(run.runtime).toMatchObject({ node: process.versions.node, backend: 'wasm' });
    expect(run.commit === null || /^[0-9a-f]{40}$/.test(run.commit)).toBe(true);
    const inCheckpoint = JSON.parse(readFileSync(join(runDir, 'best/config.json'), 'utf8')) as { run: unknown; sha256: Record<string, string> };
    // The checkpoints keep the record as it was when they were written: the post-processing chosen after the last
    // epoch is run.json's alone.
    const { postprocessing, ...beforePostprocessing } = run as typeof run & { postprocessing?: unknown };
    expect(postprocessing).toBeDefined();
    expect(inCheckpoint.run).toEqual(beforePostprocessing);
    expect(inCheckpoint.sha256['weights.bin']).toBe(createHash('sha256').update(readFileSync(join(runDir, 'best/weights.bin'))).digest('hex'));

    // The same --out again is refused (no silent retraining over best/); --overwrite replaces it.
    const again = medseg(['train', '--dataset', dataset, '--out', runDir, '--epochs', '1', ...small]);
    expect(again.status).toBe(1);
    expect(again.err).toContain(`${runDir}: already holds the output of an earlier 'medseg train'; pass --resume to continue it or --overwrite to replace it`);
    const foreign = join(work, 'not-a-run');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const intoForeign = medseg(['train', '--dataset', dataset, '--out', foreign, '--epochs', '1', ...small]);
    expect(intoForeign.status).toBe(1);
    expect(intoForeign.err).toContain('is not empty and was not written by medseg');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
    // --overwrite trains a new run beside the old one and swaps it in: nothing of the old run is left.
    writeFileSync(join(runDir, 'stale.txt'), 'from the old run');
    const replaced = medseg(['train', '--dataset', dataset, '--out', runDir, '--epochs', '1', '--augment', 'light', '--overwrite', ...small]);
    expect(replaced.status, replaced.err).toBe(0);
    expect(existsSync(join(runDir, 'stale.txt'))).toBe(false);
    expect((JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { commandLine: string[] }).commandLine).toContain('--overwrite');
    expect(readdirSync(work).filter((f) => f.startsWith('.tmp-'))).toEqual([]);

    const out = join(work, 'pred');
    const source = sharedPath('data/sts/dicom/STS_003/image');
    const predict = medseg(['predict', '--model', runDir, '--input', source, '--out', out, '--tta', '--largest-component', '--backend', 'wasm']);
    expect(predict.status, predict.err).toBe(0);
    expect(predict.out).toMatch(/predicted 1 series \(\d+ slices\)/);
    const record = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { cases: { id: string; files: { nifti: string; seg: string; png: string[] } }[] };
    expect(record.cases.map((c) => c.id)).toEqual(['STS_003']);
    const files = record.cases[0]!.files;
    expect(files).toMatchObject({ nifti: 'STS_003.nii.gz', seg: 'STS_003.seg.dcm' });
    for (const png of files.png) expect(existsSync(join(out, png))).toBe(true);

    const verify = spawnSync('dciodvfy', ['-new', join(out, files.seg)], { encoding: 'utf8' });
    expect(`${verify.stdout}${verify.stderr}`.split('\n').filter((line) => /^Error/.test(line))).toEqual([]);

    // Independent readers: nibabel for the label map (affine compared with the ingested image of the same
    // series, which lies on the source grid), pydicom for the SEG, frames placed by their referenced source
    // instance ordered along the slice normal.
    const script = `
import sys, glob, json, numpy as np, nibabel as nib, pydicom
pred = nib.load(sys.argv[1]); ref = nib.load(sys.argv[2])
labels = np.asarray(pred.dataobj)
seg = pydicom.dcmread(sys.argv[3])
src = [pydicom.dcmread(f, stop_before_pixels=True) for f in glob.glob(sys.argv[4] + '/*')]
o = np.array(src[0].ImageOrientationPatient, float); n = np.cross(o[:3], o[3:])
src.sort(key=lambda d: float(np.dot(n, np.array(d.ImagePositionPatient, float))))
index = {d.SOPInstanceUID: k for k, d in enumerate(src)}
frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
vol = np.zeros((len(src), seg.Rows, seg.Columns), np.uint8)
for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
    uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    vol[index[uid]][frames[f] > 0] = item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
print(json.dumps({
  'shape': list(labels.shape), 'refShape': list(ref.shape), 'dtype': str(labels.dtype),
  'affine': float(np.abs(pred.affine - ref.affine).max()), 'values': sorted(int(v) for v in np.unique(labels)),
  'segEqual': bool((vol.transpose(2, 1, 0) == labels).all()), 'foreground': int((labels > 0).sum()),
}))`;
    const result = spawnSync(debianPython, ['-c', script, join(out, files.nifti), join(dataset, 'cases/STS_003/image.nii.gz'), join(out, files.seg), source], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const check = JSON.parse(result.stdout) as { shape: number[]; refShape: number[]; dtype: string; affine: number; values: number[]; segEqual: boolean; foreground: number };
    expect(check.shape).toEqual(check.refShape);
    expect(check.dtype).toBe('uint8');
    expect(check.affine).toBeLessThan(1e-4);
    expect(check.values.every((v) => v === 0 || v === 1)).toBe(true);
    expect(check.segEqual).toBe(true);

    // The dataset path (already normalised) gives the same label map as the DICOM path.
    const fromDataset = join(work, 'pred-ds');
    const viaDataset = medseg(['predict', '--model', runDir, '--input', dataset, '--split', 'val', '--out', fromDataset, '--tta', '--largest-component', '--backend', 'wasm']);
    expect(viaDataset.status, viaDataset.err).toBe(0);
    const same = spawnSync(debianPython, ['-c', 'import sys, numpy as np, nibabel as nib; a, b = (np.asarray(nib.load(p).dataobj) for p in sys.argv[1:]); print(bool((a == b).all()))', join(out, files.nifti), join(fromDataset, 'STS_003.nii.gz')], { encoding: 'utf8' });
    expect(same.stdout.trim()).toBe('True');

    // predict into a folder holding another prediction is refused; --overwrite replaces it whole.
    const into = medseg(['predict', '--model', runDir, '--input', dataset, '--split', 'val', '--out', out, '--no-seg', '--backend', 'wasm']);
    expect(into.status).toBe(1);
    expect(into.err).toContain(`${out}: already holds the output of an earlier 'medseg predict'; pass --overwrite to replace it`);
    const replacedPrediction = medseg(['predict', '--model', runDir, '--input', dataset, '--split', 'train', '--out', out, '--no-seg', '--backend', 'wasm', '--overwrite']);
    expect(replacedPrediction.status, replacedPrediction.err).toBe(0);
    const now = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { status: string; cases: { id: string }[] };
    expect(now.status).toBe('complete');
    expect(now.cases.map((c) => c.id)).toEqual(['STS_001', 'STS_002']);
    expect(readdirSync(out).filter((f) => f.endsWith('.nii.gz')).sort()).toEqual(['STS_001.nii.gz', 'STS_002.nii.gz']);
    expect(readdirSync(work).filter((f) => f.startsWith('.tmp-'))).toEqual([]);

    // A dataset ingested with another normalisation is refused, naming both settings.
    const zscore = join(work, 'dataset-zscore');
    const ingest = medseg(['ingest', '--images', join(images, 'STS_003'), '--out', zscore, '--roi', 'GTV*', '--val', '0', '--normalize', 'zscore']);
    expect(ingest.status, ingest.err).toBe(0);
    const mismatch = medseg(['predict', '--model', runDir, '--input', zscore, '--out', join(work, 'pred-zscore'), '--backend', 'wasm']);
    expect(mismatch.status).toBe(1);
    expect(mismatch.err).toMatch(/dataset-zscore: the dataset is normalised with .*zscore.*, the model .* was trained on .*percentile|dataset-zscore: the dataset is normalised with .*zscore.*, the model .* was trained on/);
    expect(existsSync(join(work, 'pred-zscore'))).toBe(false);

    // A CT series for a model trained on MR: refused unless the user says so.
    const ct = join(work, 'ct');
    mkdirSync(ct);
    symlinkSync(sharedPath('data/dicom/pydicom/test_files/CT_small.dcm'), join(ct, 'CT_small.dcm'));
    const wrongModality = medseg(['predict', '--model', runDir, '--input', ct, '--out', join(work, 'pred-ct'), '--no-seg', '--backend', 'wasm']);
    expect(wrongModality.status).toBe(1);
    expect(wrongModality.err).toMatch(/is CT, the model .* was trained on MR; pass --allow-modality-mismatch/);
    const allowed = medseg(['predict', '--model', runDir, '--input', ct, '--out', join(work, 'pred-ct-allowed'), '--no-seg', '--backend', 'wasm', '--allow-modality-mismatch']);
    expect(allowed.status, allowed.err).toBe(0);

    // A run made the old way (no run.json, no record or checksums in its checkpoints) still predicts and resumes.
    const old = join(work, 'run-old');
    cpSync(runDir, old, { recursive: true });
    rmSync(join(old, 'run.json'));
    rmSync(join(old, '.medseg-output.json'));
    for (const checkpoint of ['best', 'last']) {
      const file = join(old, checkpoint, 'config.json');
      const { run: _run, sha256: _sha, ...meta } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify(meta));
    }
    const oldPredict = medseg(['predict', '--model', old, '--input', dataset, '--split', 'val', '--out', join(work, 'pred-old'), '--no-seg', '--backend', 'wasm']);
    expect(oldPredict.status, oldPredict.err).toBe(0);
    const oldResume = medseg(['train', '--out', old, '--resume', '--backend', 'wasm', '--json']);
    expect(oldResume.status, oldResume.err).toBe(0);
    expect(JSON.parse(oldResume.out)).toMatchObject({ epochs: 1, stopped: 'completed' });

    // A flipped byte in best/weights.bin is a load error naming the file.
    const damaged = join(work, 'run-damaged');
    cpSync(runDir, damaged, { recursive: true });
    const weightsFile = join(damaged, 'best/weights.bin');
    const bytes = readFileSync(weightsFile);
    bytes[100] = bytes[100]! ^ 0x40;
    writeFileSync(weightsFile, bytes);
    const broken = medseg(['predict', '--model', damaged, '--input', dataset, '--split', 'val', '--out', join(work, 'pred-damaged'), '--backend', 'wasm']);
    expect(broken.status).toBe(1);
    expect(broken.err).toContain(`${weightsFile}: checksum mismatch`);
  });

  it('saves on Ctrl-C (SIGINT to the real bin) and finishes with --resume', async () => {
    const dir = join(work, 'run-sigint');
    // Two workers (one replica thread), which the resumed run keeps without being told, and 2.5D input (the
    // neighbouring slices as channels), which the resumed run and the ensemble below take from the checkpoint.
    const first = ['train', '--dataset', dataset, '--out', dir, '--epochs', '2', '--augment', 'light', ...small, '--workers', '2', '--context-slices', '1'];
    const child = spawn(process.execPath, [bin, ...first], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The first progress line of epoch 1: a few batches are done.
      if (/epoch 1\/2: \d+\/\d+/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    expect(await exit, stderr).toBe(1);
    expect(stdout).toMatch(/interrupted at epoch 1, batch \d+; saved .*last \(continue with --resume\)/);
    const state = JSON.parse(readFileSync(join(dir, 'last/state.json'), 'utf8')) as { epoch: number; batch: number };
    expect(state.epoch).toBe(0);
    expect(state.batch).toBeGreaterThan(0);

    // The run remembers its dataset and settings: --resume needs only the run folder.
    const resumed = medseg(['train', '--out', dir, '--resume', '--backend', 'wasm', '--json']);
    expect(resumed.status, resumed.err).toBe(0);
    expect(resumed.err).toContain('workers: 2 (1 replica thread(s) per network beside the main one)');
    expect(JSON.parse(resumed.out)).toMatchObject({ epochs: 2, stopped: 'completed', interrupted: false });
    const events = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events).toEqual(['start', 'interrupted', 'resume', 'epoch', 'epoch', 'end', 'postprocessing']);
    const config = JSON.parse(readFileSync(join(dir, 'last/config.json'), 'utf8')) as { config: { contextSlices?: number } };
    expect(config.config.contextSlices).toBe(1);
    const refused = medseg(['train', '--dataset', dataset, '--out', join(work, 'run-bad-context'), ...small, '--context-slices', '2']);
    expect(refused.status).toBe(2);
    expect(refused.err).toMatch(/--context-slices.*expected 0 or 1/);
  });

  // Member b reads its slices with their neighbours (2.5D), member a without: each gets its own input.
  it('predicts with an ensemble: each voxel is foreground where both members agree on it, background where both do', () => {
    // One threshold for members and ensemble alike (each run chose its own on validation; the rule below needs 0.5).
    const postprocessing = ['--threshold', '0.5', '--no-largest-component'];
    const predict = (name: string, models: string[], extra: string[] = []) => {
      const out = join(work, name);
      const result = medseg(['predict', ...models.flatMap((m) => ['--model', m]), '--input', dataset, '--split', 'val', '--out', out, '--no-seg', '--backend', 'wasm', '--engine', 'tfjs', ...postprocessing, ...extra]);
      expect(result.status, result.err).toBe(0);
      return join(out, 'STS_003.nii.gz');
    };
    const a = predict('ens-a', [runDir]);
    const b = predict('ens-b', [join(work, 'run-sigint')]);
    const both = predict('ens-ab', [runDir, join(work, 'run-sigint')]);
    const twice = predict('ens-aa', [runDir, runDir]);
    // Two workers share the slices of each member (and of the ensemble) without changing a voxel (tfjs replicas:
    // ONNX Runtime would take the two cores as its own threads instead).
    const parallel = predict('ens-ab-workers', [runDir, join(work, 'run-sigint')], ['--workers', '2']);
    const record = JSON.parse(readFileSync(join(work, 'ens-ab/predictions.json'), 'utf8')) as { model: string[] };
    expect(record.model).toHaveLength(2);
    // A mean of two probabilities is >= 0.5 where both are and < 0.5 where neither is.
    const script = `
import sys, json, numpy as np, nibabel as nib
a, b, ab, aa, abw = (np.asarray(nib.load(p).dataobj) > 0 for p in sys.argv[1:])
print(json.dumps({'agreeFg': int((a & b).sum()), 'agreeBg': int((~a & ~b).sum()), 'disagree': int((a != b).sum()),
  'fgKept': bool(ab[a & b].all()), 'bgKept': bool((~ab[~a & ~b]).all()), 'twiceSame': bool((aa == a).all()),
  'workersSame': bool((abw == ab).all())}))`;
    const result = spawnSync(debianPython, ['-c', script, a, b, both, twice, parallel], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const check = JSON.parse(result.stdout) as { agreeFg: number; agreeBg: number; disagree: number; fgKept: boolean; bgKept: boolean; twiceSame: boolean; workersSame: boolean };
    for (const count of [check.agreeFg, check.agreeBg, check.disagree]) expect(count).toBeGreaterThan(0);
    expect(check).toMatchObject({ fgKept: true, bgKept: true, twiceSame: true, workersSame: true });

    // A member that is no training run is refused by name, before any prediction.
    const mismatched = medseg(['predict', '--model', runDir, '--model', join(work, 'missing-run'), '--input', dataset, '--out', join(work, 'ens-bad'), '--backend', 'wasm']);
    expect(mismatched.status).not.toBe(0);
    expect(mismatched.err).toContain('missing-run');
  });

  it('trains on a cross-validation fold and predicts exactly the patients that fold held out', () => {
    const dir = join(work, 'run-fold');
    const train = medseg(['train', '--dataset', dataset, '--out', dir, '--fold', '1', '--folds', '3', '--epochs', '1', '--augment', 'none', '--json', ...small]);
    expect(train.status, train.err).toBe(0);
    const held = /fold 1 of 3 \(validating (STS_\d+)\)/.exec(train.err)?.[1];
    expect(held, train.err).toMatch(/^STS_00[123]$/);
    // Every slice of the other two patients trains; the manifest says how many each has.
    const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as { cases: { id: string; shape: number[] }[] };
    const start = JSON.parse(readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n')[0]!) as { trainSlices: number; valSlices: number };
    const slicesOf = (ids: string[]) => manifest.cases.filter((c) => ids.includes(c.id)).reduce((sum, c) => sum + c.shape[2]!, 0);
    expect(start.valSlices).toBe(slicesOf([held!]));
    expect(start.trainSlices).toBe(slicesOf(manifest.cases.map((c) => c.id).filter((id) => id !== held)));

    const out = join(work, 'pred-fold');
    const predict = medseg(['predict', '--model', dir, '--input', dataset, '--split', 'val', '--out', out, '--no-seg', '--backend', 'wasm']);
    expect(predict.status, predict.err).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { cases: { id: string }[]; settings: { fold: { fold: number; folds: number } } };
    expect(record.cases.map((c) => c.id)).toEqual([held]);
    expect(record.settings.fold).toMatchObject({ fold: 1, folds: 3 });

    // Members of different folds share no validation cases; a fold past the last is a usage error.
    const mixed = medseg(['predict', '--model', dir, '--model', runDir, '--input', dataset, '--split', 'val', '--out', join(work, 'pred-mixed'), '--backend', 'wasm']);
    expect(mixed.status).toBe(1);
    expect(mixed.err).toContain('another cross-validation fold');
    const beyond = medseg(['train', '--dataset', dataset, '--out', join(work, 'run-fold-bad'), '--fold', '3', '--folds', '3', ...small]);
    expect(beyond.status).toBe(2);
    expect(beyond.err).toContain('--fold 3: folds are numbered 0..2');
    const tooMany = medseg(['train', '--dataset', dataset, '--out', join(work, 'run-fold-many'), '--fold', '0', '--folds', '4', ...small]);
    expect(tooMany.status).toBe(1);
    expect(tooMany.err).toMatch(/dataset.*4 folds need at least 4 development \(non-test\) patients, got 3|4 folds need at least 4 development \(non-test\) patients, got 3.*dataset/);
  });

  it('skips and reports a series it cannot read, and still predicts the good one', () => {
    const tree = join(work, 'mixed');
    mkdirSync(join(tree, 'bad'), { recursive: true });
    symlinkSync(sharedPath('data/sts/dicom/STS_003/image'), join(tree, 'good'));
    // STS_004 with one slice cut short inside its pixel data: the scan reads headers, the series read fails.
    const source = sharedPath('data/sts/dicom/STS_004/image');
    const files = readdirSync(source).sort();
    for (const file of files) copyFileSync(join(source, file), join(tree, 'bad', file));
    const broken = join(tree, 'bad', files[4]!);
    truncateSync(broken, statSync(broken).size - 5000);
    const out = join(work, 'pred-mixed');
    const result = medseg(['predict', '--model', runDir, '--input', tree, '--out', out, '--no-seg', '--backend', 'wasm']);
    expect(result.status, result.err).toBe(0);
    expect(result.err).toContain(`skipped ${broken}: series`);
    const record = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { cases: { id: string }[]; skipped: { path: string; reason: string }[] };
    expect(record.cases.map((c) => c.id)).toEqual(['STS_003']);
    expect(record.skipped).toHaveLength(1);
    expect(record.skipped[0]!.path).toBe(broken);
    expect(record.skipped[0]!.reason).toMatch(/not predicted: malformed DICOM data set/);
    expect(existsSync(join(out, 'STS_003.nii.gz'))).toBe(true);
  });

  it('predict: a 300-character PatientID gets a bounded name and the other series is still predicted (issue 17, 8)', () => {
    const tree = join(work, 'long-id');
    const jobs = [{ op: 'series', src: sharedPath('data/sts/dicom/STS_004/image'), out: join(tree, 'long'), set: [['00100020', 'LO', 'P'.repeat(300)]] }];
    const made = spawnSync(debianPython, [join(repoRoot, 'test/support/hostile_inputs.py'), JSON.stringify(jobs)], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    symlinkSync(sharedPath('data/sts/dicom/STS_003/image'), join(tree, 'good'));
    const out = join(work, 'pred-long');
    const result = medseg(['predict', '--model', runDir, '--input', tree, '--out', out, '--no-seg', '--backend', 'wasm']);
    expect(result.status, result.err).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { cases: { id: string }[] };
    expect(record.cases.map((c) => c.id).sort()).toEqual(['P'.repeat(64), 'STS_003']);
    expect(existsSync(join(out, `${'P'.repeat(64)}.nii.gz`))).toBe(true);
  });

  it('predict: a dataset whose case id climbs out of --out is refused before anything is written (issue 17, 1)', () => {
    const hostile = join(work, 'hostile-ds');
    mkdirSync(hostile);
    symlinkSync(join(dataset, 'cases'), join(hostile, 'cases'));
    const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as { cases: { id: string }[] };
    manifest.cases[0]!.id = '../../escaped';
    writeFileSync(join(hostile, 'manifest.json'), JSON.stringify(manifest));
    const out = join(work, 'nest', 'pred-hostile');
    const result = medseg(['predict', '--model', runDir, '--input', hostile, '--out', out, '--no-seg', '--backend', 'wasm']);
    expect(result.status).toBe(1);
    expect(result.err).toContain(`${join(hostile, 'manifest.json')}: cases[0].id "../../escaped" is not a safe case ID`);
    expect(existsSync(join(work, 'escaped.nii.gz'))).toBe(false);
    expect(existsSync(join(work, 'nest', 'escaped.nii.gz'))).toBe(false);
  });
});
