import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backend/selectBackend.js';
import { loadCheckpoint, namedWeights } from './checkpoint.js';
import { createReplicaPool, type ReplicaPool } from './data-parallel/replica-pool.js';
import { smallTrainSettings, smallUnetOptions } from '../testing/small-unet.js';
import { syntheticSliceSet } from '../testing/synthetic-slices.js';
import { trainUnet } from './train.js';
import type { TrainingBatch } from './training-batch.js';
import { buildUnet, type Unet } from './unet.js';

// 8 training slices in batches of 2: 4 batches per epoch, 2 epochs; BN recalibration between epochs.
const model = smallUnetOptions({ seed: 3 });
const settings = smallTrainSettings({ epochs: 2, batchSize: 2, seed: 9 });
const train = syntheticSliceSet({ cases: 2, perCase: 4, size: 64, seed: 4 });
const val = syntheticSliceSet({ cases: 1, perCase: 2, size: 64, seed: 5 });
const tmp = (name: string) => mkdtemp(join(tmpdir(), `medseg-resume-${name}-`));

/** Flip left-right on a coin toss: the augmentation draws go through the per-batch generators. */
const flip = (batch: TrainingBatch, rng: { next(): number }): TrainingBatch => {
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

/** Every weight byte of the network, encoder and decoder (BN moving statistics included). */
async function bytesOf(unet: Unet): Promise<Buffer> {
  const all = [...namedWeights(unet.encoder.model), ...namedWeights(unet.decoder)];
  return Buffer.concat(await Promise.all(all.map(async ({ tensor }) => Buffer.from((await tensor.data()).buffer as ArrayBuffer))));
}

const pools: ReplicaPool[] = [];
beforeAll(async () => {
  await selectBackend('wasm');
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

async function withReplicas(unet: Unet, workers: number): Promise<ReplicaPool | undefined> {
  if (workers === 1) return undefined;
  const pool = await createReplicaPool(unet, { replicas: workers - 1, backend: 'wasm', loss: settings.loss });
  pools.push(pool);
  return pool;
}

describe('exact resume', () => {
  for (const workers of [1, 2]) {
    it(`gives every weight byte of the uninterrupted run wherever it is interrupted (${workers} worker(s))`, async () => {
      const whole = await buildUnet(model);
      const wholeReplicas = await withReplicas(whole, workers);
      await trainUnet({ unet: whole, train, val, outDir: await tmp('whole'), settings, augment: flip, ...(wholeReplicas ? { replicas: wholeReplicas } : {}) });
      const expected = await bytesOf(whole);
      whole.dispose();
      // [epoch, batch] of the batch event that aborts: first batch, second batch, mid-epoch (epoch 2), the last
      // batch of epoch 1 (seen after that epoch's validation and checkpoint); 'validation': aborted from the event
      // emitted after epoch 1's last batch, while BN recalibration and validation run.
      const points: [number, number | 'validation'][] = workers === 1 ? [[0, 1], [0, 2], [1, 3], [0, 4], [0, 'validation']] : [[0, 2], [1, 3], [0, 4], [0, 'validation']];
      for (const [epoch, batch] of points) {
        const dir = await tmp(`cut-${epoch}-${batch}`);
        const unet = await buildUnet(model);
        const replicas = await withReplicas(unet, workers);
        const controller = new AbortController();
        const events: string[] = [];
        const first = await trainUnet({
          unet, train, val, outDir: dir, settings, augment: flip, signal: controller.signal,
          ...(replicas ? { replicas } : {}),
          onEvent: (e) => {
            events.push(e.type);
            if (batch === 'validation' ? e.type === 'validation' && e.epoch === epoch : e.type === 'batch' && e.epoch === epoch && e.batch === batch) controller.abort();
          },
        });
        // The validation abort lands after epoch 1 completed (validated, checkpointed), before any batch of epoch 2.
        if (batch === 'validation') expect(events.slice(-3)).toEqual(['validation', 'epoch', 'interrupted']);
        expect(first.interrupted).toBe(true);
        unet.dispose();
        const saved = await loadCheckpoint(join(dir, 'last'));
        const again = await withReplicas(saved.unet, workers);
        const resumed = await trainUnet({ unet: saved.unet, train, val, outDir: dir, settings, augment: flip, resume: saved, ...(again ? { replicas: again } : {}) });
        expect(resumed.interrupted).toBe(false);
        expect(Buffer.compare(await bytesOf(saved.unet), expected), `interrupted at epoch ${epoch + 1}, ${batch === 'validation' ? 'during validation' : `batch ${batch}`}`).toBe(0);
        saved.unet.dispose();
      }
      expect(tf.memory().numTensors).toBeLessThan(200);
    }, 240_000);
  }
});
