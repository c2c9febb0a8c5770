import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { describe, expect, it } from 'vitest';
import { medsegBin, runMedseg, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';

const weights = sharedPath('weights/mobilenet_v1_0.25_224');

interface MetricsJson {
  settings: Record<string, unknown>;
  cases: { case: string; class: string | number; dice: number | null; iou: number | null; hd95: number | null }[];
  aggregate: unknown;
}

/** Errors dciodvfy reports for a file (warnings are allowed). */
function dciodvfyErrors(path: string): string[] {
  const result = spawnSync('dciodvfy', ['-new', path], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.split('\n').filter((line) => /^Error/.test(line));
}

/** nibabel opens each label map and returns its shape and the labels it holds. */
function nibabelLabels(paths: readonly string[]): { shape: number[]; labels: number[] }[] {
  const script = 'import sys, json, numpy as np, nibabel as nib\nprint(json.dumps([{"shape": list(nib.load(p).shape), "labels": np.unique(np.asanyarray(nib.load(p).dataobj)).tolist()} for p in sys.argv[1:]]))';
  const result = spawnSync(debianPython, ['-c', script, ...paths], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { shape: number[]; labels: number[] }[];
}

function checkArtefacts(predictions: string, report: string): MetricsJson {
  const record = JSON.parse(readFileSync(join(predictions, 'predictions.json'), 'utf8')) as { cases: { id: string; files: { nifti: string; seg: string } }[] };
  expect(record.cases.length).toBeGreaterThan(0);
  for (const view of nibabelLabels(record.cases.map((c) => join(predictions, c.files.nifti)))) {
    expect(view.shape).toHaveLength(3);
    expect(view.labels.every((label) => label === 0 || label === 1)).toBe(true);
  }
  for (const c of record.cases) expect(dciodvfyErrors(join(predictions, c.files.seg))).toEqual([]);
  const metrics = JSON.parse(readFileSync(join(report, 'metrics.json'), 'utf8')) as MetricsJson;
  expect(metrics.cases.map((c) => c.case).sort()).toEqual(record.cases.map((c) => c.id).sort());
  for (const c of metrics.cases) for (const key of ['dice', 'iou', 'hd95'] as const) expect(c).toHaveProperty(key);
  expect(existsSync(join(report, 'metrics.csv'))).toBe(true);
  expect(readFileSync(join(report, 'report.html'), 'utf8')).toMatch(/<html/i);
  return metrics;
}

const meanDice = (metrics: MetricsJson) => {
  const values = metrics.cases.map((c) => c.dice).filter((d): d is number => d !== null);
  return values.reduce((a, b) => a + b, 0) / values.length;
};

describe('medseg demo', () => {
  it('runs the whole pipeline on its phantom study and segments held-out patients far above chance', () => {
    const out = join(temporaryFolder('demo'), 'demo');
    const result = runMedseg(['demo', '--out', out, '--encoder-weights', weights, '--patients', '8', '--epochs', '10']);
    expect(result.status, result.stderr).toBe(0);
    for (const step of ['phantom', 'ingest', 'plan', 'train', 'predict', 'eval']) expect(result.stdout).toContain(`$ medseg ${step} `);
    // The demo plans its dataset, prints the plan, and trains on it under its own overrides; the run names the plan.
    const plans = JSON.parse(readFileSync(join(out, 'dataset/plans.json'), 'utf8')) as { plan: { train: { decoderFilters: { value: number[] } } } };
    expect(result.stdout).toContain(`decoder ${plans.plan.train.decoderFilters.value.join('-')}`);
    expect(result.stdout).toMatch(/from the plan: .*loss.*; the demo's own \(flags\): encoder, .*epochs/);
    const settings = (JSON.parse(readFileSync(join(out, 'run/run.json'), 'utf8')) as { settings: { plan: { path: string; action: string }; sources: Record<string, string> } }).settings;
    expect(settings.plan).toMatchObject({ path: join(out, 'dataset/plans.json'), action: 'existing' });
    expect(settings.sources).toMatchObject({ encoder: 'flag', loss: 'plan', epochs: 'flag', inputSize: 'flag' });
    const metrics = checkArtefacts(join(out, 'predictions'), join(out, 'report'));
    expect(metrics.cases.map((c) => c.case).sort()).toEqual(['PHANTOM_007', 'PHANTOM_008']);
    const reported = Number(/mean Dice on 2 held-out test patient\(s\): ([\d.]+)/.exec(result.stdout)?.[1]);
    expect(reported).toBeCloseTo(meanDice(metrics), 3);
    // A lesion covers about 1% of a phantom volume: a guess with that prevalence scores a Dice near 0.01.
    expect(reported).toBeGreaterThan(0.5);
    // The demo's run is a real run folder: its record, curves, and the report's link to them.
    const run = JSON.parse(readFileSync(join(out, 'run/run.json'), 'utf8')) as { commandLine: string[]; dataset: { caseIds: { val: string[]; test: string[] }; classes: { key: string; label: string }[] } };
    expect(run.commandLine.slice(0, 2)).toEqual(['medseg', 'train']);
    expect(run.dataset.caseIds).toMatchObject({ val: ['PHANTOM_005', 'PHANTOM_006'], test: ['PHANTOM_007', 'PHANTOM_008'] });
    // The class keeps its key (the --roi pattern) and shows the ROI it matched.
    expect(run.dataset.classes[1]).toMatchObject({ key: 'GTV*', label: 'GTV_lesion' });
    expect(readFileSync(join(out, 'run/curves.svg'), 'utf8')).toMatch(/<svg[\s\S]*class="best"/);
    expect(readFileSync(join(out, 'report/report.html'), 'utf8')).toContain('curves.svg');
    expect(readFileSync(join(out, 'report/report.html'), 'utf8')).toContain('GTV_lesion');
    const seg = spawnSync(debianPython, ['-c', 'import sys, pydicom; print(pydicom.dcmread(sys.argv[1]).SegmentSequence[0].SegmentLabel)', join(out, 'predictions/PHANTOM_007.seg.dcm')], { encoding: 'utf8' });
    expect(seg.stdout.trim(), seg.stderr).toBe('GTV_lesion');
    // A second demo into the same folder is refused rather than mixed with the first.
    const again = runMedseg(['demo', '--out', out, '--encoder-weights', weights, '--patients', '8', '--epochs', '1']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('--overwrite');
  });

  it('says plainly when it cannot download ImageNet weights, and trains without them', () => {
    const out = join(temporaryFolder('demo-offline'), 'demo');
    // An empty cache and a mirror on a closed local port: the download fails at once, online or not.
    const env = { MEDSEG_CACHE: temporaryFolder('empty-cache'), MEDSEG_WEIGHTS_URL: 'http://127.0.0.1:9/model.json' };
    const result = spawnSync(process.execPath, [medsegBin, 'demo', '--out', out, '--patients', '6', '--epochs', '1'], {
      encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/ImageNet weights could not be downloaded/);
    expect(result.stdout).toMatch(/--encoder-weights none/);
    expect(result.stdout).toMatch(/encoder weights: none/);
  });
});

describe('STS end to end through the real CLI', () => {
  it('ingests, trains a tiny schedule, predicts held-out patients from their DICOM and evaluates them', () => {
    const work = temporaryFolder('sts-e2e');
    const images = stsSubset([1, 2, 4, 5, 6, 3].map(stsPatient));
    const dataset = join(work, 'ds');
    const ingest = runMedseg(['ingest', '--images', images, '--roi', 'GTV*', '--out', dataset, '--val', '0', '--val-patients', 'STS_003']);
    expect(ingest.status, ingest.stderr).toBe(0);
    const train = runMedseg(['train', '--dataset', dataset, '--out', join(work, 'run'), '--no-plan', '--encoder-weights', weights, '--epochs', '3', '--input-size', '64',
      '--decoder-filters', '32-16-16-8-8', '--batch-size', '16', '--lr', '0.003', '--augment', 'light', '--backend', 'wasm']);
    expect(train.status, train.stderr).toBe(0);
    const predictions = join(work, 'pred');
    const predict = runMedseg(['predict', '--model', join(work, 'run'), '--input', sharedPath('data/sts/dicom/STS_003/image'), '--out', predictions, '--backend', 'wasm']);
    expect(predict.status, predict.stderr).toBe(0);
    const report = join(work, 'report');
    // Truth: the IBSI's own NIfTI mask of the same patient, on the DICOM grid the prediction was written on.
    const evaluation = runMedseg(['eval', '--pred', predictions, '--truth', dataset, '--out', report]);
    expect(evaluation.status, evaluation.stderr).toBe(0);
    const metrics = checkArtefacts(predictions, report);
    expect(metrics.cases.map((c) => c.case)).toEqual(['STS_003']);
    // The tumour fills about a fifth of these cropped volumes: a guess with that prevalence scores Dice ~0.2.
    expect(meanDice(metrics)).toBeGreaterThan(0.45);
  });
});
