import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend/selectBackend.js';
import { saveCheckpoint } from './checkpoint.js';
import { ModelLoadError } from './errors.js';
import { readRunRecord, validateRunRecord, writeRunRecord } from './run-record.js';
import { smallTrainSettings, smallUnetOptions } from '../testing/small-unet.js';
import { buildUnet } from './unet.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('run records', () => {
  it('migrates a checkpoint from before run.json, validates a written one, and names a bad field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medseg-record-'));
    const unet = await buildUnet(smallUnetOptions({ seed: 2 }));
    const training = { ...smallTrainSettings(), dataset: { path: '/data/ds', classes: ['background', 'GTV*'], normalization: { kind: 'zscore' } as never } };
    const state = { epoch: 1, batch: 0, lossSum: 0, lossCount: 0, history: [], best: null, epochsSinceBest: 0, rng: [1, 2, 3, 4, 5] as const, stopped: null, elapsedSeconds: 0 };
    await saveCheckpoint(join(dir, 'last'), { unet, optimizers: {}, state, training });
    unet.dispose();
    // The old layout: a checkpoint without a record inside and no run.json.
    const config = JSON.parse(await readFile(join(dir, 'last/config.json'), 'utf8')) as Record<string, unknown>;
    expect(config['run']).toBeUndefined();
    const migrated = await readRunRecord(dir);
    expect(migrated).toMatchObject({
      format: 'medseg-run',
      medsegVersion: null,
      commit: null,
      commandLine: null,
      migratedFrom: join(dir, 'last/config.json'),
      seed: training.seed,
      dataset: { path: '/data/ds', normalization: { kind: 'zscore' }, inputChannels: 1, caseIds: null },
    });
    expect(migrated.dataset.classes.map((c) => [c.key, c.label])).toEqual([['background', 'background'], ['GTV*', 'GTV*']]);
    expect(migrated.model.inputSize).toBe(64);

    await writeRunRecord(dir, { ...migrated, medsegVersion: '0.1.0' });
    expect((await readRunRecord(dir)).medsegVersion).toBe('0.1.0');
    await writeFile(join(dir, 'run.json'), JSON.stringify({ ...migrated, training: { ...migrated.training, seed: 'five' } }));
    await expect(readRunRecord(dir)).rejects.toThrow(`${join(dir, 'run.json')}: run record field 'training.seed' must be a number`);
    expect(() => validateRunRecord({ ...migrated, schemaVersion: 99 }, 'x')).toThrow(/schema version 99 is newer/);
    // Schema 1 (before post-processing was chosen on validation) still reads, without a choice; a bad choice is named.
    expect(validateRunRecord({ ...migrated, schemaVersion: 1 }, 'x').postprocessing).toBeUndefined();
    const post = { chosen: { threshold: 0.4, largestComponent: true }, table: [], perCase: [] };
    expect(validateRunRecord({ ...migrated, postprocessing: post }, 'x').postprocessing?.chosen).toEqual({ threshold: 0.4, largestComponent: true });
    expect(() => validateRunRecord({ ...migrated, postprocessing: { ...post, chosen: { threshold: 1.5, largestComponent: true } } }, 'x')).toThrow("run record field 'postprocessing.chosen.threshold' must be a number between 0 and 1");
    expect(() => validateRunRecord({ format: 'other' }, 'x')).toThrow(ModelLoadError);
  });
});
