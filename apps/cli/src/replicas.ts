import { type BackendName, createReplicaPool, type LossName, type ReplicaPool, replicaBackends, type Unet } from '@medseg/models';
import { type CliContext, writeLine } from './context.js';

export const workersOptionHelp =
  'threads that share the work, each a copy of the network (data parallelism for the one-thread wasm and cpu backends; ' +
  'results are reproducible for the same number of workers)';

/**
 * Replicas for `--workers N` (N - 1 worker threads beside the main one), one pool per network; none when N is 1,
 * or when the backend already runs on every core (said once on stderr).
 */
export async function startReplicas(unets: readonly Unet[], workers: number, backend: BackendName, loss: LossName, context: CliContext): Promise<ReplicaPool[] | undefined> {
  if (workers <= 1) return undefined;
  if (!replicaBackends.includes(backend)) {
    writeLine(context.stderr, `--workers ${workers} ignored: the ${backend} backend uses every core by itself`);
    return undefined;
  }
  const pools: ReplicaPool[] = [];
  try {
    for (const unet of unets) pools.push(await createReplicaPool(unet, { replicas: workers - 1, backend, loss }));
  } catch (error) {
    await Promise.all(pools.map((p) => p.close()));
    throw error;
  }
  writeLine(context.stderr, `workers: ${workers} (${workers - 1} replica thread(s) per network beside the main one)`);
  return pools;
}
