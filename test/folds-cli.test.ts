import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { runMedseg, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';

// Four STS patients, no test patients, and `medseg train --folds 2` of a one-epoch 64x64 network: two fold runs,
// the post-processing chosen on both folds' validation patients pooled, and `predict --model RUN` as their
// ensemble; a cross-validation stopped between folds resumes to the same weights.
const work = temporaryFolder('folds');
const dataset = join(work, 'ds');
const run = join(work, 'run');
const patients = [1, 2, 3, 4].map(stsPatient);
const small = ['--no-plan', '--epochs', '1', '--augment', 'none', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', sharedPath('weights/mobilenet_v1_0.25_224')];
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Relative paths in `args` are the work folder's, as a user's shell would have them. */
const medseg = (args: readonly string[]) => runMedseg(args, { cwd: work });

interface Postprocessing {
  threshold: number;
  largestComponent: boolean;
}
interface RunPostprocessing {
  chosen: Postprocessing;
  patients: number;
  table: (Postprocessing & { meanDice: number | null })[];
  perCase: { caseId: string; patientId: string; dice: (number | null)[] }[];
}
interface RunJson {
  training: { dataset: { fold?: { fold: number; folds: number } } };
  dataset: { caseIds: { train: string[]; val: string[] } };
  postprocessing: RunPostprocessing;
}
interface FoldsJson {
  format: string;
  folds: number;
  members: string[];
  status: string;
  postprocessing: RunPostprocessing;
}
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

beforeAll(() => {
  const ingest = medseg(['ingest', '--images', stsSubset(patients), '--out', dataset, '--roi', 'GTV*', '--val', '0']);
  expect(ingest.status, ingest.stderr).toBe(0);
  const train = medseg(['train', '--dataset', dataset, '--out', run, '--folds', '2', ...small]);
  expect(train.status, train.stderr).toBe(0);
  expect(train.stderr).toMatch(/^fold 1 of 2: training .*fold-0$/m);
  expect(train.stderr).toMatch(/^fold 2 of 2: training .*fold-1$/m);
});

describe('medseg train --folds N (a whole cross-validation) and predict --model RUN (its ensemble)', () => {
  it('trains each fold on the others and validates it on its own share, every patient validated exactly once', () => {
    const folds = readJson<FoldsJson>(join(run, 'folds.json'));
    expect(folds).toMatchObject({ format: 'medseg-folds', folds: 2, members: ['fold-0', 'fold-1'], status: 'complete' });
    const runs = folds.members.map((m) => readJson<RunJson>(join(run, m, 'run.json')));
    runs.forEach((r, k) => {
      expect(r.training.dataset.fold).toMatchObject({ fold: k, folds: 2 });
      expect([...r.dataset.caseIds.train, ...r.dataset.caseIds.val].sort()).toEqual(patients);
      expect(r.dataset.caseIds.val.length).toBeGreaterThan(0);
      expect(r.dataset.caseIds.train.filter((id) => r.dataset.caseIds.val.includes(id))).toEqual([]);
    });
    expect(runs.flatMap((r) => r.dataset.caseIds.val).sort()).toEqual(patients);
  });

  it("pools the folds' out-of-fold Dice to choose the post-processing by nnU-Net's rule", () => {
    const folds = readJson<FoldsJson>(join(run, 'folds.json'));
    const runs = folds.members.map((m) => readJson<RunJson>(join(run, m, 'run.json')));
    const pooled = runs.flatMap((r) => r.postprocessing.perCase);
    expect(folds.postprocessing.perCase).toEqual(pooled);
    expect(pooled.map((c) => c.patientId).sort()).toEqual(patients);
    // Each candidate's mean over patients of the out-of-fold Dice, recomputed here (one case per patient).
    const expected = folds.postprocessing.table.map((_, i) => {
      const finite = pooled.map((c) => c.dice[i]).filter((d): d is number => d !== null);
      return finite.length === 0 ? null : mean(finite);
    });
    folds.postprocessing.table.forEach((row, i) => {
      if (expected[i] === null) expect(row.meanDice).toBeNull();
      else expect(row.meanDice).toBeCloseTo(expected[i]!, 12);
    });
    // The rule: the chosen candidate scores at least the default (0.5, every component) and is not beaten by
    // another threshold's best; the largest component is on only when it raises the mean at that threshold.
    const score = (p: Postprocessing) => folds.postprocessing.table.find((r) => r.threshold === p.threshold && r.largestComponent === p.largestComponent)!.meanDice ?? -1;
    const chosen = folds.postprocessing.chosen;
    expect(score(chosen)).toBeGreaterThanOrEqual(score({ threshold: 0.5, largestComponent: false }));
    for (const row of folds.postprocessing.table) expect(score(chosen)).toBeGreaterThanOrEqual(row.meanDice ?? -1);
    expect(chosen.largestComponent).toBe(score({ threshold: chosen.threshold, largestComponent: true }) > score({ threshold: chosen.threshold, largestComponent: false }));
  });

  it('predicts with the ensemble of the folds and the pooled post-processing, as the folds named one by one would', () => {
    const chosen = readJson<FoldsJson>(join(run, 'folds.json')).postprocessing.chosen;
    const whole = medseg(['predict', '--model', run, '--input', dataset, '--out', 'pred-run', '--no-seg', '--backend', 'wasm', '--engine', 'tfjs']);
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stderr).toContain('ensemble of 2 models');
    expect(whole.stderr).toContain(`post-processing: threshold ${chosen.threshold} (run), largest component ${chosen.largestComponent ? 'on' : 'off'} (run)`);
    const flags = ['--threshold', String(chosen.threshold), chosen.largestComponent ? '--largest-component' : '--no-largest-component'];
    const named = medseg(['predict', '--model', join(run, 'fold-0'), join(run, 'fold-1'), '--input', dataset, '--out', 'pred-named', '--no-seg', '--backend', 'wasm', '--engine', 'tfjs', ...flags]);
    expect(named.status, named.stderr).toBe(0);
    const record = readJson<{ cases: { id: string; foregroundVoxels: number; files: { nifti: string } }[] }>(join(work, 'pred-run', 'predictions.json'));
    expect(record.cases.map((c) => c.id).sort()).toEqual(patients);
    const compare = spawnSync(debianPython, ['-c', `
import sys, json, numpy as np, nibabel as nib
a, b = sys.argv[1], sys.argv[2]
rows = []
for c in json.load(open(a + '/predictions.json'))['cases']:
    x = np.asarray(nib.load(a + '/' + c['files']['nifti']).dataobj)
    y = np.asarray(nib.load(b + '/' + c['files']['nifti']).dataobj)
    rows.append([c['id'], int((x != y).sum())])
print(json.dumps(rows))
`, join(work, 'pred-run'), join(work, 'pred-named')], { encoding: 'utf8' });
    expect(compare.status, compare.stderr).toBe(0);
    for (const [id, differ] of JSON.parse(compare.stdout) as [string, number][]) expect(differ, id).toBe(0);
  });

  it('exports to ONNX as the ensemble of its folds, with the pooled post-processing', () => {
    const exported = medseg(['export', '--format', 'onnx', '--model', run, '--out', 'onnx']);
    expect(exported.status, exported.stderr).toBe(0);
    const description = readJson<{ members: { checkpoint: string; weightsSha256: string }[]; postprocessing: Record<string, unknown> }>(join(work, 'onnx', 'medseg-model.json'));
    const chosen = readJson<FoldsJson>(join(run, 'folds.json')).postprocessing.chosen;
    expect(description.postprocessing).toMatchObject({ ...chosen, chosenBy: { threshold: 'run', largestComponent: 'run' } });
    expect(description.members.map((m) => m.checkpoint)).toEqual([join(run, 'fold-0', 'best'), join(run, 'fold-1', 'best')]);
    for (const m of description.members) expect(m.weightsSha256).toBe(sha(join(m.checkpoint, 'weights.bin')));
  });

  it('resumes a cross-validation stopped after its first fold to the same weights and post-processing, and refuses to predict it unfinished', () => {
    const stopped = join(work, 'stopped');
    mkdirSync(stopped);
    cpSync(join(run, 'fold-0'), join(stopped, 'fold-0'), { recursive: true });
    cpSync(join(run, '.medseg-output.json'), join(stopped, '.medseg-output.json'));
    const { postprocessing: _pooled, ...started } = readJson<FoldsJson & Record<string, unknown>>(join(run, 'folds.json'));
    writeFileSync(join(stopped, 'folds.json'), JSON.stringify({ ...started, status: 'training' }));
    const refused = medseg(['predict', '--model', stopped, '--input', dataset, '--out', 'pred-stopped']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${stopped}: the cross-validation run is not finished`);

    const resumed = medseg(['train', '--resume', '--out', stopped, '--backend', 'wasm']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/^fold 1 of 2: continuing .*fold-0$/m);
    expect(resumed.stderr).toMatch(/^fold 2 of 2: training .*fold-1$/m);
    for (const file of ['best/weights.bin', 'last/weights.bin']) expect(sha(join(stopped, 'fold-1', file)), file).toBe(sha(join(run, 'fold-1', file)));
    const again = readJson<FoldsJson>(join(stopped, 'folds.json'));
    const original = readJson<FoldsJson>(join(run, 'folds.json'));
    expect(again.status).toBe('complete');
    expect(again.postprocessing.chosen).toEqual(original.postprocessing.chosen);
    expect(again.postprocessing.table).toEqual(original.postprocessing.table);
  });

  it('follows a plan that validates by folds (too few validation patients) without being told, settings from flags kept', () => {
    const ids = Array.from({ length: 10 }, (_, i) => stsPatient(i + 1));
    const ingest = medseg(['ingest', '--images', stsSubset(ids), '--out', 'ds-10', '--roi', 'GTV*', '--val', '0.2']);
    expect(ingest.status, ingest.stderr).toBe(0);
    const manifest = readJson<{ cases: { patientId: string; split: string }[] }>(join(work, 'ds-10', 'manifest.json'));
    expect(new Set(manifest.cases.filter((c) => c.split === 'val').map((c) => c.patientId)).size).toBe(2);
    const flags = [...small.filter((f) => f !== '--no-plan'), '--encoder', 'mobilenet_v1_0.25', '--workers', '1'];
    const planned = medseg(['train', '--dataset', 'ds-10', '--out', 'run-10', '--no-measure', ...flags]);
    expect(planned.status, planned.stderr).toBe(0);
    // The planner's documented rule: fewer than 5 validation patients and at least 10 development patients give
    // min(5, floor(10 / 5)) = 2 folds.
    expect(planned.stderr).toMatch(/^cross-validation: 2 folds \(the plan: only 2 validation patients/m);
    const folds = readJson<FoldsJson>(join(work, 'run-10', 'folds.json'));
    expect(folds).toMatchObject({ folds: 2, status: 'complete' });
    const runs = folds.members.map((m) => readJson<RunJson & { model: { inputSize: number }; settings: { sources: Record<string, string> } }>(join(work, 'run-10', m, 'run.json')));
    expect(runs.flatMap((r) => r.dataset.caseIds.val).sort()).toEqual(ids);
    for (const r of runs) {
      expect(r.model.inputSize).toBe(64);
      expect(r.settings.sources['inputSize']).toBe('flag');
      expect(r.settings.sources['bnRecalibration']).toBe('plan');
    }
  });

  it('refuses a folds.json that is not JSON or names members outside the run, naming the file', () => {
    const broken = join(work, 'broken');
    cpSync(run, broken, { recursive: true });
    const record = readJson<FoldsJson>(join(run, 'folds.json'));
    for (const [content, problem] of [
      ['{"format": "medseg-folds", ', 'unreadable cross-validation record'],
      [JSON.stringify({ ...record, members: ['../run/fold-0', 'fold-1'] }), 'malformed cross-validation record: members are not fold-0..fold-1'],
    ] as const) {
      writeFileSync(join(broken, 'folds.json'), content);
      const refused = medseg(['predict', '--model', broken, '--input', dataset, '--out', join(work, 'pred-broken')]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`${join(broken, 'folds.json')}: ${problem}`);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('refuses more folds than patients before training anything, and a second run into the same folder', () => {
    const tooMany = medseg(['train', '--dataset', dataset, '--out', 'too-many', '--folds', '5', ...small]);
    expect(tooMany.status).toBe(1);
    expect(tooMany.stderr).toContain(dataset);
    expect(existsSync(join(work, 'too-many'))).toBe(false);
    const twice = medseg(['train', '--dataset', dataset, '--out', run, '--folds', '2', ...small]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toContain(`${run}: already holds the output of an earlier 'medseg train'`);
  });
});
