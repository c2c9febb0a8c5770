import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlansRecord } from '@medseg/data';
import { sharedPath } from '@medseg/data/testing';
import type { RunRecord } from '@medseg/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMedseg, stsPatient, stsSubset, temporaryFolder } from './support/cli.js';

// Two STS patients (STS_001 trains, STS_002 validates), one epoch at 64 px: `medseg train` plans the dataset
// itself, takes the settings no flag gives from the plan, and says in run.json where each came from.
const work = temporaryFolder('train-plan');
const dataset = join(work, 'ds');
const tiny = ['--epochs', '1', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--bn-recalibration', '64', '--backend', 'wasm', '--weights-dir', sharedPath('weights')];
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;

beforeAll(() => {
  const ingest = runMedseg(['ingest', '--images', stsSubset([1, 2].map(stsPatient)), '--roi', 'GTV*', '--out', dataset, '--val', '0', '--val-patients', 'STS_002']);
  expect(ingest.status, ingest.stderr).toBe(0);
});

describe('medseg train follows the dataset plan', () => {
  it('plans a dataset that has no plans.json, trains on the plan under the flags given, and records the sources', () => {
    expect(existsSync(join(dataset, 'plans.json'))).toBe(false);
    const run = join(work, 'run');
    const train = runMedseg(['train', '--dataset', dataset, '--out', run, ...tiny]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toContain(`no plans.json beside the manifest: planned the dataset first, wrote ${join(dataset, 'plans.json')}`);
    const plans = readJson<PlansRecord>(join(dataset, 'plans.json'));
    // Planning timed the planned network's steps (the default 60-minute budget).
    expect(plans.plan.estimate.secondsPerStepSource).toBe('measured');
    expect(plans.options.timeBudgetSeconds).toBe(3600);
    const record = readJson<RunRecord>(join(run, 'run.json'));
    const settings = record.settings!;
    expect(settings.plan).toEqual({ path: join(dataset, 'plans.json'), sha256: sha256(join(dataset, 'plans.json')), action: 'planned' });
    for (const name of ['epochs', 'inputSize', 'decoderFilters', 'batchSize', 'bnRecalibration']) expect(settings.sources[name], name).toBe('flag');
    for (const name of ['encoder', 'encoderWeights', 'lr', 'loss', 'augment', 'contextSlices', 'patience', 'workers']) expect(settings.sources[name], name).toBe('plan');
    // The values trained with are the flags' and the plan's.
    expect(record.training.epochs).toBe(1);
    expect(record.model.inputSize).toBe(64);
    expect(record.training.patience).toBe(plans.plan.train.patience.value);
    expect(record.training.learningRate).toBe(plans.plan.train.lr.value);
    expect(record.training.augment).toBe(plans.plan.train.augment.value);
    expect(record.workers).toBe(plans.plan.train.workers.value);
    // The ingest-time settings were checked: STS_001-002 were ingested at their native spacing, percentile-normalised, as planned.
    expect(settings.ingestChecks.map((c) => c.setting)).toEqual(['spacing', 'normalize']);
    expect(settings.ingestChecks.find((c) => c.setting === 'normalize')!.matches).toBe(true);
    expect(train.stderr).toMatch(/from the plan: .*patience/);
  });

  it('with --no-plan trains on the built-in defaults and records them as such', () => {
    const run = join(work, 'run-no-plan');
    const train = runMedseg(['train', '--dataset', dataset, '--out', run, '--no-plan', ...tiny]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).not.toContain('plan:');
    const record = readJson<RunRecord>(join(run, 'run.json'));
    expect(record.settings!.plan).toBeNull();
    expect(record.settings!.sources['patience']).toBe('default');
    expect(record.settings!.sources['epochs']).toBe('flag');
    // train --help's defaults: patience 10, one worker.
    expect(record.training.patience).toBe(10);
    expect(record.workers).toBe(1);
  });

  it('plans again when plans.json is out of date, and uses a current one as it is', () => {
    const path = join(dataset, 'plans.json');
    const stale = readJson<PlansRecord>(path);
    writeFileSync(path, JSON.stringify({ ...stale, dataset: { ...stale.dataset, manifestSha256: '0'.repeat(64) } }));
    const train = runMedseg(['train', '--dataset', dataset, '--out', join(work, 'run-replanned'), '--no-measure', ...tiny]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toContain('plans.json was made from an older manifest: planned the dataset again');
    expect(readJson<PlansRecord>(path).dataset.manifestSha256).toBe(sha256(join(dataset, 'manifest.json')));
    expect(readJson<PlansRecord>(path).plan.estimate.secondsPerStepSource).toBe('estimated');
    expect(readJson<RunRecord>(join(work, 'run-replanned', 'run.json')).settings!.plan!.action).toBe('replanned');
    // A current plan is read, not made again: its bytes are unchanged and the record names them.
    const before = sha256(path);
    const again = runMedseg(['train', '--dataset', dataset, '--out', join(work, 'run-existing'), ...tiny]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`using the plan ${path}`);
    expect(sha256(path)).toBe(before);
    expect(readJson<RunRecord>(join(work, 'run-existing', 'run.json')).settings!.plan).toEqual({ path, sha256: before, action: 'existing' });
  });

  it('plans again, timing the planned network, when --time-budget differs from the plan’s, and keeps a plan made for that budget', () => {
    const path = join(dataset, 'plans.json');
    expect(readJson<PlansRecord>(path).options.timeBudgetSeconds).toBe(3600);
    const train = runMedseg(['train', '--dataset', dataset, '--out', join(work, 'run-budget'), '--time-budget', '20m', ...tiny]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toContain('plans.json was made for another --time-budget: planned the dataset again');
    const plans = readJson<PlansRecord>(path);
    expect(plans.options.timeBudgetSeconds).toBe(1200);
    expect(plans.options.measured).toBe(true);
    const e = plans.plan.estimate;
    expect(e.secondsPerStepSource).toBe('measured');
    expect(e.budgetMinutes).toBe(20);
    expect(e.minutes).toBeLessThanOrEqual(20);
    const t = plans.plan.train;
    expect(e.measurement!.network).toMatchObject({ encoder: t.encoder.value, decoderFilters: t.decoderFilters.value, inputSize: t.inputSize.value, workers: t.workers.value });
    expect(train.stderr).toMatch(/s\/step measured over 3 steps in [\d.]+ s, budget 20 min/);
    expect(readJson<RunRecord>(join(work, 'run-budget', 'run.json')).settings!.plan!.action).toBe('replanned');
    // The same budget again: the plan is current.
    const again = runMedseg(['train', '--dataset', dataset, '--out', join(work, 'run-budget-again'), '--time-budget', '20m', ...tiny]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain(`using the plan ${path}`);
  });
});
