import * as tf from '@tensorflow/tfjs';
import type { SegmentationLoss } from '../losses.js';
import type { TrainingBatch } from '../training-batch.js';
import { batchGradients, trainableVariables } from '../training-step.js';
import type { Unet } from '../unet.js';
import type { ReplicaPool } from './replica-pool.js';
import { splitBatch } from './shares.js';

/**
 * The loss and gradients of a batch shared out between this thread and the replicas of `unet` (near-equal
 * contiguous shares, this thread taking the first): the share-weighted means of each share's loss and
 * gradients, keyed by variable name as tf.variableGrads keys them. The caller owns the gradient tensors.
 */
export async function parallelBatchGradients(unet: Unet, loss: SegmentationLoss, batch: TrainingBatch, replicas: ReplicaPool): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
  const shares = splitBatch(batch, replicas.size + 1);
  // The replicas take their shares (and the current weights) now, and work while this thread does its own.
  const remote = replicas.gradients(shares.slice(1));
  const own = tf.tidy(() => batchGradients(unet, loss, shares[0]!));
  try {
    const replies = await remote;
    const weights = shares.map((share) => share.count / batch.count);
    // The replicas' gradients arrive flat: sum them here, then one multiply-add with this thread's, flattened,
    // and one split back, rather than a few small kernels per variable on the hot path.
    const remoteSum = new Float32Array(replies[0]?.grads.length ?? 0);
    replies.forEach((reply, i) => {
      const weight = weights[i + 1]!;
      for (let k = 0; k < remoteSum.length; k++) remoteSum[k]! += reply.grads[k]! * weight;
    });
    const variables = trainableVariables(unet);
    const grads = tf.tidy(() => {
      const flat = tf.concat(variables.map((v) => own.grads[v.name]!.reshape([-1])));
      const mean = replies.length === 0 ? flat.mul(weights[0]!) : flat.mul(weights[0]!).add(tf.tensor1d(remoteSum));
      const parts = tf.split(mean, variables.map((v) => v.size));
      return Object.fromEntries(variables.map((v, i) => [v.name, parts[i]!.reshape(v.shape)])) as tf.NamedTensorMap;
    });
    const value = replies.reduce((total, reply, i) => total + reply.loss * weights[i + 1]!, own.value.dataSync()[0]! * weights[0]!);
    return { loss: value, grads };
  } finally {
    tf.dispose([own.value, ...Object.values(own.grads)]);
  }
}
