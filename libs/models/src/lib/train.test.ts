import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAugmentPipeline, createBackgroundAugmenter } from '@medseg/data';
import { selectBackend } from './backend/selectBackend.js';
import { copyUnetWeights, loadCheckpoint, namedWeights } from './checkpoint.js';
import { predictSlices } from './predict-slices.js';
import { smallTrainSettings, smallUnetOptions } from '../testing/small-unet.js';
import { syntheticSliceSet } from '../testing/synthetic-slices.js';
import { type TrainEvent, type TrainSettings, epochOutcome, learningRateAt, trainUnet } from './train.js';
import { buildUnet } from './unet.js';

const model = smallUnetOptions({ seed: 11 });
// Recalibration (4 slices) runs between epochs, so the resume and determinism tests below cover it.
const settings: TrainSettings = smallTrainSettings();
const train = syntheticSliceSet({ cases: 2, perCase: 4, size: 64, seed: 1 });
const val = syntheticSliceSet({ cases: 2, perCase: 2, size: 64, seed: 2 });

beforeAll(async () => {
  await selectBackend('wasm');
});

const tmp = (name: string) => mkdtemp(join(tmpdir(), `medseg-${name}-`));

/** A cheap deterministic augmentation (flip left-right on a coin toss), so the runs exercise the RNG path. */
const flip = (batch: Parameters<NonNullable<Parameters<typeof trainUnet>[0]['augment']>>[0], rng: { next(): number }) => {
  if (rng.next() < 0.5) return batch;
  const images = batch.images.slice();
  const masks = batch.masks.slice();
  const w = batch.width;
  for (let row = 0; row < batch.count * batch.height; row++) {
    for (let x = 0; x < w; x++) {
      images[row * w + x] = batch.images[row * w + (w - 1 - x)]!;
      masks[row * w + x] = batch.masks[row * w + (w - 1 - x)]!;
    }
  }
  return { ...batch, images, masks };
};

async function weightsOf(m: tf.LayersModel): Promise<Buffer> {
  return Buffer.concat(await Promise.all(namedWeights(m).map(async ({ tensor }) => Buffer.from((await tensor.data()).buffer as ArrayBuffer))));
}

async function run(outDir: string, extra: Partial<Parameters<typeof trainUnet>[0]> = {}) {
  const unet = await buildUnet(model);
  const result = await trainUnet({ unet, train, val, outDir, settings, augment: flip, ...extra });
  return { unet, result };
}

describe('trainUnet', () => {
  it('gives byte-identical weights for the same seed, keeps tf.memory() flat, and learns', async () => {
    const counts: number[] = [];
    const a = await run(await tmp('a'), { onEvent: (e: TrainEvent) => e.type === 'epoch' && counts.push(tf.memory().numTensors) });
    const b = await run(await tmp('b'));
    expect(Buffer.compare(await weightsOf(a.unet.decoder), await weightsOf(b.unet.decoder))).toBe(0);
    expect(a.result.state.history.map((h) => h.loss)).toEqual(b.result.state.history.map((h) => h.loss));
    // No tensor leaks from one epoch to the next.
    expect(counts).toHaveLength(3);
    expect(counts[2]).toBe(counts[1]);
    // Loss goes down on this easy task.
    const losses = a.result.state.history.map((h) => h.loss);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    const c = await run(await tmp('c'), { settings: { ...settings, seed: 6 } });
    expect(Buffer.compare(await weightsOf(a.unet.decoder), await weightsOf(c.unet.decoder))).not.toBe(0);
    [a, b, c].forEach((r) => r.unet.dispose());
  });

  it('trains to the same weights when the augmentation runs in a worker, one batch ahead, as when it runs inline', async () => {
    const inline = createAugmentPipeline('light', { seed: settings.seed });
    const worker = createBackgroundAugmenter('light', { seed: settings.seed });
    try {
      const a = await run(await tmp('inline'), { augment: (batch, rng) => inline.apply(batch, rng) });
      const b = await run(await tmp('worker'), { augment: (batch, rng) => worker.apply(batch, rng) });
      expect(Buffer.compare(await weightsOf(a.unet.decoder), await weightsOf(b.unet.decoder))).toBe(0);
      expect(b.result.state.history.map((h) => h.loss)).toEqual(a.result.state.history.map((h) => h.loss));
      [a, b].forEach((r) => r.unet.dispose());
    } finally {
      await worker.close();
    }
  });

  it('resumes after Ctrl-C mid-epoch, and after a crash, to the same weights as an uninterrupted run', async () => {
    const whole = await run(await tmp('whole'));
    const expected = await weightsOf(whole.unet.decoder);

    // Ctrl-C in epoch 2 (batch 2 of 4): the trainer saves last/ at that batch and returns.
    const dir = await tmp('abort');
    const controller = new AbortController();
    const first = await run(dir, { signal: controller.signal, onEvent: (e) => e.type === 'batch' && e.epoch === 1 && e.batch === 2 && controller.abort() });
    expect(first.result.interrupted).toBe(true);
    first.unet.dispose();
    const saved = await loadCheckpoint(join(dir, 'last'));
    expect(saved.state).toMatchObject({ epoch: 1, batch: 2 });
    const resumed = await trainUnet({ unet: saved.unet, train, val, outDir: dir, settings, augment: flip, resume: saved });
    expect(resumed.interrupted).toBe(false);
    expect(Buffer.compare(await weightsOf(saved.unet.decoder), expected)).toBe(0);
    expect(resumed.state.history).toHaveLength(3);

    // A crash (no chance to save) in epoch 3: resuming from the end-of-epoch-2 checkpoint gets there too.
    const crashDir = await tmp('crash');
    await expect(
      run(crashDir, {
        onEvent: (e) => {
          if (e.type === 'batch' && e.epoch === 2 && e.batch === 3) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const afterCrash = await loadCheckpoint(join(crashDir, 'last'));
    expect(afterCrash.state).toMatchObject({ epoch: 2, batch: 0 });
    await trainUnet({ unet: afterCrash.unet, train, val, outDir: crashDir, settings, augment: flip, resume: afterCrash });
    expect(Buffer.compare(await weightsOf(afterCrash.unet.decoder), expected)).toBe(0);

    const log = (await readFile(join(dir, 'log.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { event: string });
    expect(log.map((l) => l.event)).toEqual(['start', 'epoch', 'interrupted', 'resume', 'epoch', 'epoch', 'end']);
    [whole.unet, saved.unet, afterCrash.unet].forEach((u) => u.dispose());
  });

  it('round-trips a checkpoint to identical predictions, and keeps the best epoch in best/', async () => {
    const dir = await tmp('roundtrip');
    const { unet, result } = await run(dir);
    const before = await predictSlices(unet, val.images, val.count);
    const loaded = await loadCheckpoint(join(dir, 'last'));
    expect(loaded.unet.config).toEqual(unet.config);
    expect(Buffer.compare(Buffer.from((await predictSlices(loaded.unet, val.images, val.count)).buffer), Buffer.from(before.buffer))).toBe(0);
    // A second phase (unfrozen top blocks) starts from the same function.
    const phase2 = await buildUnet({ ...model, unfreezeFrom: 'conv_dw_13' });
    copyUnetWeights(loaded.unet, phase2);
    expect(Buffer.compare(Buffer.from((await predictSlices(phase2, val.images, val.count)).buffer), Buffer.from(before.buffer))).toBe(0);
    phase2.dispose();
    const best = await loadCheckpoint(join(dir, 'best'));
    const bestDice = Math.max(...result.state.history.map((h) => h.valDicePatient));
    expect(best.state.best?.valDicePatient).toBe(bestDice);
    [unet, loaded.unet, best.unet].forEach((u) => u.dispose());
  });

  it('stops after `patience` epochs without a strictly better per-patient Dice, and decays the rate by a cosine', () => {
    const metrics = (epoch: number, dice: number) => ({ epoch, loss: 0, learningRate: 0, valDiceSlice: dice, valDicePatient: dice, seconds: 0 });
    const s = { epochs: 10, patience: 2 };
    let state = { best: null as { epoch: number; valDicePatient: number } | null, epochsSinceBest: 0 };
    const stops: (string | null)[] = [];
    for (const [epoch, dice] of [[1, 0.5], [2, 0.6], [3, 0.6], [4, 0.55]] as const) {
      const outcome = epochOutcome(state, metrics(epoch, dice), s);
      stops.push(outcome.stopped);
      state = outcome;
    }
    expect(stops).toEqual([null, null, null, 'early-stopping']);
    expect(state.best).toEqual({ epoch: 2, valDicePatient: 0.6 });
    expect(epochOutcome({ best: null, epochsSinceBest: 0 }, metrics(10, 0.9), s).stopped).toBe('completed');
    expect(learningRateAt({ ...settings, epochs: 10 }, 0)).toBeCloseTo(settings.learningRate, 12);
    expect(learningRateAt({ ...settings, epochs: 10 }, 5)).toBeCloseTo(settings.learningRate * (0.05 + 0.95 * 0.5), 12);
  });
});
