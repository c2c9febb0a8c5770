import { Worker } from 'node:worker_threads';
import { MedsegError } from '../errors.js';
import { builtWorkerEntry } from '../fs/builtWorkerEntry.js';
import type { Rng } from '../random.js';
import type { AugmentConfig, AugmentPreset } from './augmentConfig.js';
import { createAugmentPipeline } from './augmentPipeline.js';
import type { SliceBatch } from './sliceBatch.js';

/**
 * An augmentation pipeline that runs in a worker thread, so that a training loop can augment the next batch on
 * the other core while the current one trains. `apply` gives the same bytes as `createAugmentPipeline(...)
 * .apply(batch, rng)`: the worker rebuilds the pipeline from the same config and seed, and each call carries
 * its generator's state.
 */
export interface BackgroundAugmenter {
  apply(batch: SliceBatch, rng: Rng): Promise<SliceBatch>;
  close(): Promise<void>;
}

export function createBackgroundAugmenter(presetOrConfig: AugmentPreset | AugmentConfig, options: { seed: number }): BackgroundAugmenter {
  // Validate here, so a bad config fails in the caller with the field named, not later in the worker.
  const { config } = createAugmentPipeline(presetOrConfig, options);
  const worker = new Worker(builtWorkerEntry(import.meta.url, 'augmentWorker.js'), { workerData: { config, seed: options.seed } });
  // A training run that ends without close() must still be able to exit.
  worker.unref();
  const pending = new Map<number, { resolve: (batch: SliceBatch) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on('message', (message: { id: number; batch?: SliceBatch; error?: string }) => {
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    if (message.batch) request.resolve(message.batch);
    else request.reject(new MedsegError(`augmentation worker: ${message.error ?? 'no result'}`));
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new MedsegError(`augmentation worker exited (code ${code})`)));
  return {
    apply(batch, rng) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<SliceBatch>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, batch, rng: rng.state() });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}
