// Entry of the worker thread behind `createBackgroundAugmenter`: one seeded pipeline, batches in, batches out.
import { parentPort, workerData } from 'node:worker_threads';
import { type RngState, createRng } from '../random.js';
import type { AugmentConfig } from './augmentConfig.js';
import { createAugmentPipeline } from './augmentPipeline.js';
import type { SliceBatch } from './sliceBatch.js';

interface Request {
  readonly id: number;
  readonly batch: SliceBatch;
  readonly rng: RngState;
}

const { config, seed } = workerData as { config: AugmentConfig; seed: number };
const pipeline = createAugmentPipeline(config, { seed });

parentPort?.on('message', (request: Request) => {
  try {
    const batch = pipeline.apply(request.batch, createRng(request.rng));
    parentPort?.postMessage({ id: request.id, batch });
  } catch (error) {
    parentPort?.postMessage({ id: request.id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
});
