import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';

// Four STS patients (STS_001-002 train, STS_003-004 validation) and a one-epoch 64x64 run with the default
// augmentation (flips on both axes, so flip TTA is on): the post-processing chosen on validation at the end of
// `medseg train`, recorded in run.json and applied by `medseg predict`.
const work = mkdtempSync(join(tmpdir(), 'medseg-postprocessing-'));
const dataset = join(work, 'ds');
const run = join(work, 'run');
const small = ['--no-plan', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', sharedPath('weights/mobilenet_v1_0.25_224')];
const bin = join(repoRoot, 'apps/cli/bin/medseg.js');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function medseg(args: readonly string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 24 });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

interface Postprocessing {
  threshold: number;
  largestComponent: boolean;
  tta?: boolean;
}
interface RunJson {
  schemaVersion: number;
  dataset: { caseIds: { val: string[] } };
  postprocessing?: {
    chosen: Postprocessing;
    default: Postprocessing;
    patients: number;
    cases: number;
    checkpoint: string;
    table: (Postprocessing & { meanDice: number | null })[];
    perCase: { caseId: string; patientId: string; dice: (number | null)[] }[];
  };
}
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const flagsOf = (p: Postprocessing) => ['--threshold', String(p.threshold), p.largestComponent ? '--largest-component' : '--no-largest-component', p.tta === true ? '--tta' : '--no-tta'];
const sameCandidate = (a: Postprocessing, b: Postprocessing) => a.threshold === b.threshold && a.largestComponent === b.largestComponent && (a.tta ?? false) === (b.tta ?? false);
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(() => {
  mkdirSync(join(work, 'images'));
  for (const id of ['STS_001', 'STS_002', 'STS_003', 'STS_004']) symlinkSync(sharedPath('data/sts/dicom', id), join(work, 'images', id));
  const ingest = medseg(['ingest', '--images', 'images', '--out', dataset, '--roi', 'GTV*', '--val', '0', '--val-patients', 'STS_003,STS_004']);
  expect(ingest.status, ingest.err).toBe(0);
  const train = medseg(['train', '--dataset', dataset, '--out', run, '--epochs', '1', '--augment', 'default', '--json', ...small]);
  expect(train.status, train.err).toBe(0);
  expect(train.err).toMatch(/post-processing: threshold [\d.]+, largest component (on|off), flip TTA on: mean per-patient Dice over 2 validation patient\(s\) with flip TTA \(on: the model was trained with flips on both axes/);
});

/** Per case: the 3D Dice of a prediction folder's label map against the dataset's mask (nibabel, numpy). */
function diceOf(predictions: string): Record<string, number> {
  const script = `
import sys, json, numpy as np, nibabel as nib
ds, pred = sys.argv[1], sys.argv[2]
manifest = json.load(open(ds + '/manifest.json'))
record = json.load(open(pred + '/predictions.json'))
files = {c['id']: c['files']['mask'] for c in manifest['cases']}
out = {}
for c in record['cases']:
    t = np.asarray(nib.load(ds + '/' + files[c['id']]).dataobj) > 0
    p = np.asarray(nib.load(pred + '/' + c['files']['nifti']).dataobj) > 0
    out[c['id']] = 2 * int((t & p).sum()) / int(t.sum() + p.sum())
print(json.dumps(out))`;
  const result = spawnSync(debianPython, ['-c', script, dataset, predictions], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, number>;
}

function predictVal(name: string, extra: readonly string[] = []) {
  const out = join(work, name);
  const result = medseg(['predict', '--model', run, '--input', dataset, '--split', 'val', '--out', out, '--no-seg', '--backend', 'wasm', '--engine', 'tfjs', ...extra]);
  expect(result.status, result.err).toBe(0);
  return { out, result, record: readJson<{ settings: { threshold: number; largestComponent: boolean; tta: boolean; postprocessing: { sources: Record<string, string>; note?: string } } }>(join(out, 'predictions.json')) };
}

describe('post-processing chosen on validation', () => {
  it("scores every candidate as eval's Dice would, follows the rule, and predict applies the choice unless a flag overrides it", () => {
    const record = readJson<RunJson>(join(run, 'run.json'));
    expect(record.schemaVersion).toBe(2);
    const post = record.postprocessing!;
    expect(post).toMatchObject({ default: { threshold: 0.5, largestComponent: false }, patients: 2, cases: 2, checkpoint: 'best' });
    // Every threshold with the cleanup off and on, all under flip TTA (the model saw flips on both axes).
    expect(post.table.map((r) => [r.threshold, r.largestComponent, r.tta === true])).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].flatMap((t) => [[t, false, true], [t, true, true]]));
    expect(post.chosen.tta).toBe(true);
    const baseline = { ...post.default, tta: true };
    expect(post.perCase.map((c) => c.caseId)).toEqual(record.dataset.caseIds.val);

    // The table against label maps predict writes with each candidate's flags, scored by numpy (baseline and chosen).
    const mean = (p: Postprocessing) => post.table.find((r) => sameCandidate(r, p))!.meanDice!;
    for (const [i, candidate] of [baseline, post.chosen, { threshold: 0.3, largestComponent: true, tta: true }, { threshold: 0.4, largestComponent: false, tta: true }].entries()) {
      const { out } = predictVal(`pred-candidate-${i}`, flagsOf(candidate));
      const dice = diceOf(out);
      const k = post.table.findIndex((r) => sameCandidate(r, candidate));
      for (const c of post.perCase) expect(c.dice[k]).toBeCloseTo(dice[c.caseId]!, 9);
      expect(mean(candidate)).toBeCloseTo((dice['STS_003']! + dice['STS_004']!) / 2, 9);
    }
    // nnU-Net v2's rule: never below the default; another threshold only if it beats every option at 0.5; the
    // cleanup only if it raises the mean at the chosen threshold.
    expect(mean(post.chosen)).toBeGreaterThanOrEqual(mean(baseline));
    const atDefault = Math.max(mean(baseline), mean({ ...baseline, largestComponent: true }));
    if (post.chosen.threshold !== 0.5) expect(mean(post.chosen)).toBeGreaterThan(atDefault);
    expect(post.chosen.largestComponent).toBe(mean({ ...post.chosen, largestComponent: true }) > mean({ ...post.chosen, largestComponent: false }));

    // No flags: the run's choice, said on stdout and in predictions.json, the same voxels as the choice given as flags.
    const plain = predictVal('pred-plain');
    expect(plain.record.settings).toMatchObject({ ...post.chosen, postprocessing: { sources: { threshold: 'run', largestComponent: 'run', tta: 'run' } } });
    expect(plain.result.out).toContain(`post-processing: threshold ${post.chosen.threshold} (run), largest component ${post.chosen.largestComponent ? 'on' : 'off'} (run), flip TTA on (run)`);
    expect(diceOf(plain.out)).toEqual(diceOf(join(work, 'pred-candidate-1')));
    // One flag overrides its own setting only.
    const flagged = predictVal('pred-flag', ['--threshold', '0.3', '--no-tta']);
    expect(flagged.record.settings).toMatchObject({ threshold: 0.3, largestComponent: post.chosen.largestComponent, tta: false, postprocessing: { sources: { threshold: 'flag', largestComponent: 'run', tta: 'flag' } } });
  });

  it('a finished run without a post-processing record (trained before it) gets it from --resume, which trains nothing', () => {
    const old = join(work, 'run-old');
    cpSync(run, old, { recursive: true });
    const current = readJson<RunJson>(join(run, 'run.json'));
    const { postprocessing, ...withoutIt } = current;
    writeFileSync(join(old, 'run.json'), `${JSON.stringify({ ...withoutIt, schemaVersion: 1 }, null, 2)}\n`);
    const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(log.at(-1)!)).toMatchObject({ event: 'postprocessing', chosen: postprocessing!.chosen });
    writeFileSync(join(old, 'log.jsonl'), `${log.slice(0, -1).join('\n')}\n`);

    // Predict on the old run: the old defaults, with a note saying why.
    const before = medseg(['predict', '--model', old, '--input', dataset, '--split', 'val', '--out', join(work, 'pred-old'), '--no-seg', '--backend', 'wasm']);
    expect(before.status, before.err).toBe(0);
    expect(before.err).toMatch(/post-processing: threshold 0.5 \(default\), largest component off \(default\), flip TTA off \(default\) \(the model records no post-processing/);

    const weights = sha(join(old, 'best/weights.bin'));
    const resumed = medseg(['train', '--out', old, '--resume', '--backend', 'wasm', '--json']);
    expect(resumed.status, resumed.err).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ interrupted: false, stopped: 'completed', epochs: 1, postprocessing: postprocessing!.chosen });
    const now = readJson<RunJson>(join(old, 'run.json'));
    expect(now.schemaVersion).toBe(2);
    // The same checkpoint, the same cases: the same table to the last digit.
    expect(now.postprocessing!.table).toEqual(postprocessing!.table);
    expect(now.postprocessing!.perCase).toEqual(postprocessing!.perCase);
    expect(sha(join(old, 'best/weights.bin'))).toBe(weights);
    const events = readFileSync(join(old, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { event: string }).event);
    expect(events.filter((e) => e === 'epoch')).toHaveLength(1);
    expect(events.at(-1)).toBe('postprocessing');

    // Once chosen, --resume has nothing left to do and leaves run.json as it is.
    const recorded = sha(join(old, 'run.json'));
    const again = medseg(['train', '--out', old, '--resume', '--backend', 'wasm']);
    expect(again.status, again.err).toBe(0);
    expect(again.err).toContain('its post-processing is chosen: nothing to do');
    expect(sha(join(old, 'run.json'))).toBe(recorded);
  });
});
