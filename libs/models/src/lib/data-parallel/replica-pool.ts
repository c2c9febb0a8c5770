import { Worker } from 'node:worker_threads';
import { builtWorkerEntry } from '@medseg/data';
import type { BackendName } from '../backend/selectBackend.js';
import { ModelOptionsError, ReplicaError } from '../errors.js';
import type { LossName } from '../losses.js';
import type { TrainingBatch } from '../training-batch.js';
import type { Unet } from '../unet.js';
import type { ReplicaInit, ReplicaReply, ReplicaRequest } from './replica-protocol.js';
import { allVariables, changingVariables, packValues } from './replica-weights.js';

/**
 * Copies of a U-Net in worker threads, for data parallelism on backends that run one thread per instance
 * (tfjs-backend-wasm under Node, and the pure-JS cpu backend): the main thread keeps the master network and the
 * optimiser; before each request every replica takes the master's current trainable weights and decoder BN
 * statistics, so replicas never drift and a checkpoint or resume concerns the main thread alone.
 */
export interface ReplicaPool {
  /** Replicas in worker threads; the main thread's network is one more. */
  readonly size: number;
  /**
   * Loss and gradients (in trainableVariables order, flattened) of one share of a batch per replica; share `i`
   * goes to replica `i`, at most `size` shares.
   */
  gradients(shares: readonly TrainingBatch[]): Promise<{ grads: Float32Array; loss: number }[]>;
  /** Probabilities (as predictSlices gives them) of one run of slices per replica. */
  predict(parts: readonly { images: Float32Array; count: number }[], options: { batchSize: number; tta?: boolean }): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Backends whose tfjs instance runs on one thread, so that replicas in more threads add cores. */
export const replicaBackends: readonly BackendName[] = ['wasm', 'cpu'];

/** Node flags without `--conditions X` / `-C X` / `--conditions=X` naming the TypeScript-source condition. */
function withoutSourceConditions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((arg === '--conditions' || arg === '-C') && argv[i + 1]?.startsWith('@medseg/') === true) i++;
    else if (!/^(--conditions|-C)=@medseg\//.test(arg)) out.push(arg);
  }
  return out;
}

interface Pending {
  resolve: (reply: ReplicaReply) => void;
  reject: (error: Error) => void;
}

/** One worker thread and its outstanding requests. */
class Replica {
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  readonly ready: Promise<void>;

  constructor(
    private readonly worker: Worker,
    readonly index: number,
  ) {
    this.ready = new Promise<void>((resolve, reject) => this.pending.set(-1, { resolve: () => resolve(), reject }));
    // A run that ends without close() must still be able to exit.
    worker.unref();
    worker.on('message', (reply: ReplicaReply) => {
      const request = this.pending.get(reply.id);
      if (request === undefined) return;
      this.pending.delete(reply.id);
      if ('error' in reply) request.reject(new ReplicaError(`replica ${index + 1}: ${reply.error}`));
      else request.resolve(reply);
    });
    worker.on('error', (error) => this.fail(new ReplicaError(`replica ${index + 1} failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.fail(new ReplicaError(`replica ${index + 1} exited (code ${code})`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  request(message: ReplicaRequest): Promise<ReplicaReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<ReplicaReply>((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new ReplicaError(`replica ${this.index + 1} is closed`);
    await this.worker.terminate();
  }
}

/**
 * Starts `replicas` worker threads, each with a copy of `unet` (every weight sent once) on `backend`; resolves
 * when all have built their network. Only for one-thread backends (replicaBackends): the native TensorFlow
 * backends already use every core.
 */
export async function createReplicaPool(unet: Unet, options: { replicas: number; backend: BackendName; loss: LossName }): Promise<ReplicaPool> {
  if (!Number.isInteger(options.replicas) || options.replicas < 1) throw new ModelOptionsError(`createReplicaPool: replicas must be an integer >= 1, got ${options.replicas}`);
  if (!replicaBackends.includes(options.backend)) {
    throw new ModelOptionsError(`createReplicaPool: data-parallel replicas need a one-thread backend (${replicaBackends.join(', ')}), not ${options.backend}`);
  }
  const entry = builtWorkerEntry(import.meta.url, 'replica-worker.js');
  const init: ReplicaInit = { backend: options.backend, config: unet.config, encoderDepth: unet.encoder.depth, loss: options.loss, weights: packValues(allVariables(unet)) };
  // The compiled worker resolves @medseg/* to their builds: a test runner's source-only export conditions
  // (--conditions @medseg/source) would point it at TypeScript it cannot load.
  const execArgv = withoutSourceConditions(process.execArgv);
  const replicas = Array.from({ length: options.replicas }, (_, i) => new Replica(new Worker(entry, { workerData: init, execArgv }), i));
  try {
    await Promise.all(replicas.map((r) => r.ready));
  } catch (error) {
    await Promise.all(replicas.map((r) => r.close()));
    throw error;
  }
  let nextId = 0;
  const changing = changingVariables(unet);
  const tooMany = (what: string, n: number) => {
    if (n > replicas.length) throw new ModelOptionsError(`ReplicaPool: ${n} ${what} for ${replicas.length} replicas`);
  };
  return {
    size: replicas.length,
    async gradients(shares) {
      tooMany('shares', shares.length);
      const weights = packValues(changing);
      const replies = await Promise.all(shares.map((batch, i) => replicas[i]!.request({ id: nextId++, type: 'gradients', weights, batch })));
      return replies.map((reply) => reply as { grads: Float32Array; loss: number });
    },
    async predict(parts, predictOptions) {
      tooMany('parts', parts.length);
      const weights = packValues(changing);
      const replies = await Promise.all(
        parts.map((part, i) =>
          replicas[i]!.request({ id: nextId++, type: 'predict', weights, images: part.images, count: part.count, batchSize: predictOptions.batchSize, tta: predictOptions.tta === true }),
        ),
      );
      return replies.map((reply) => (reply as { probs: Float32Array }).probs);
    },
    async close() {
      await Promise.all(replicas.map((r) => r.close()));
    },
  };
}
