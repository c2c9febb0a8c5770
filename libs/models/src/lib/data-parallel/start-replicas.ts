import type { BackendName } from '../backend/selectBackend.js';
import type { LossName } from '../losses.js';
import type { Unet } from '../unet.js';
import { createReplicaPool, type ReplicaPool, replicaBackends } from './replica-pool.js';

export interface StartedReplicas {
  /** One pool per network; undefined when the work stays on the main thread. */
  readonly pools: ReplicaPool[] | undefined;
  /** The number of threads that share the work (1 without pools). */
  readonly workers: number;
  /** What happened, for the user (ignored on a backend that uses every core by itself, or how many threads). */
  readonly note: string | undefined;
}

/**
 * Replicas for `workers` threads (workers - 1 worker threads beside the main one), one pool per network; none
 * for one worker, or when the backend already runs on every core.
 */
export async function startReplicas(unets: readonly Unet[], workers: number, backend: BackendName, loss: LossName): Promise<StartedReplicas> {
  if (workers <= 1) return { pools: undefined, workers: 1, note: undefined };
  if (!replicaBackends.includes(backend)) return { pools: undefined, workers: 1, note: `--workers ${workers} ignored: the ${backend} backend uses every core by itself` };
  const pools: ReplicaPool[] = [];
  try {
    for (const unet of unets) pools.push(await createReplicaPool(unet, { replicas: workers - 1, backend, loss }));
  } catch (error) {
    await Promise.all(pools.map((p) => p.close()));
    throw error;
  }
  return { pools, workers, note: `workers: ${workers} (${workers - 1} replica thread(s) per network beside the main one)` };
}
