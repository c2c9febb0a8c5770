import type { BackendName } from '../backend/selectBackend.js';
import type { LossName } from '../losses.js';
import type { TrainingBatch } from '../training-batch.js';
import type { UnetConfig } from '../unet.js';

/** What a replica's worker starts from (its workerData). */
export interface ReplicaInit {
  backend: BackendName;
  config: UnetConfig;
  encoderDepth: number;
  loss: LossName;
  /** Every weight, as packValues(allVariables(unet)) lays them out. */
  weights: Float32Array;
}

/** A request; `weights` (packValues(changingVariables(unet))) first brings the replica up to date. */
export type ReplicaRequest =
  | { id: number; type: 'gradients'; weights?: Float32Array; batch: TrainingBatch }
  | { id: number; type: 'predict'; weights?: Float32Array; images: Float32Array; count: number; batchSize: number; tta: boolean };

/** A reply to request `id` (-1: the replica's start). */
export type ReplicaReply =
  | { id: number; ready: true }
  | { id: number; grads: Float32Array; loss: number }
  | { id: number; probs: Float32Array }
  | { id: number; error: string };
