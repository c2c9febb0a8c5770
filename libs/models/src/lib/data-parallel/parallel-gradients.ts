import * as tf from '@tensorflow/tfjs';
import type { SegmentationLoss } from '../losses.js';
import { batchGradients, type TrainingBatch, trainableVariables } from '../training-step.js';
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
    const grads = tf.tidy(() => {
      const averaged: tf.NamedTensorMap = {};
      let offset = 0;
      for (const v of trainableVariables(unet)) {
        let sum = own.grads[v.name]!.mul(weights[0]!);
        replies.forEach((reply, i) => (sum = sum.add(tf.tensor(reply.grads.subarray(offset, offset + v.size), v.shape).mul(weights[i + 1]!))));
        averaged[v.name] = sum;
        offset += v.size;
      }
      return averaged;
    });
    const value = replies.reduce((total, reply, i) => total + reply.loss * weights[i + 1]!, own.value.dataSync()[0]! * weights[0]!);
    return { loss: value, grads };
  } finally {
    tf.dispose([own.value, ...Object.values(own.grads)]);
  }
}
