import * as tf from '@tensorflow/tfjs';
import { ModelOptionsError } from './errors.js';

export type LossName = 'dice+bce' | 'dice+focal' | 'tversky';
export const lossNames: readonly LossName[] = ['dice+bce', 'dice+focal', 'tversky'];

/** `(truth, prediction) → scalar`, both [n, h, w, c]: one sigmoid channel, or softmax over background + classes. */
export type SegmentationLoss = (truth: tf.Tensor4D, prediction: tf.Tensor4D) => tf.Scalar;

const epsilon = 1e-6;
const smooth = 1;

/** The foreground channels: the single sigmoid channel, or every softmax channel but background. */
function foreground(t: tf.Tensor4D): tf.Tensor4D {
  const channels = t.shape[3];
  return channels === 1 ? t : (t.slice([0, 0, 0, 1], [-1, -1, -1, channels - 1]) as tf.Tensor4D);
}

/**
 * Soft Tversky index over the batch and spatial axes, per foreground channel, averaged. alpha = beta = 0.5 is
 * soft Dice; the smoothing term keeps slices without foreground finite.
 */
function tverskyIndex(truth: tf.Tensor4D, prediction: tf.Tensor4D, alpha: number, beta: number): tf.Scalar {
  const t = foreground(truth);
  const p = foreground(prediction);
  const tp = tf.sum(t.mul(p), [0, 1, 2]);
  const fp = tf.sum(p.mul(tf.sub(1, t)), [0, 1, 2]);
  const fn = tf.sum(t.mul(tf.sub(1, p)), [0, 1, 2]);
  return tf.mean(tp.add(smooth).div(tp.add(fp.mul(alpha)).add(fn.mul(beta)).add(smooth)));
}

function crossEntropy(truth: tf.Tensor4D, prediction: tf.Tensor4D): tf.Scalar {
  const p = prediction.clipByValue(epsilon, 1 - epsilon);
  if (prediction.shape[3] === 1) {
    return tf.neg(tf.mean(truth.mul(p.log()).add(tf.sub(1, truth).mul(tf.sub(1, p).log())))) as tf.Scalar;
  }
  return tf.neg(tf.mean(tf.sum(truth.mul(p.log()), -1))) as tf.Scalar;
}

/** Focal loss (Lin et al. 2017), gamma 2, alpha 0.25 on the foreground as in RetinaNet. */
function focal(truth: tf.Tensor4D, prediction: tf.Tensor4D, gamma = 2, alpha = 0.25): tf.Scalar {
  const p = prediction.clipByValue(epsilon, 1 - epsilon);
  if (prediction.shape[3] === 1) {
    const pt = truth.mul(p).add(tf.sub(1, truth).mul(tf.sub(1, p)));
    const weight = truth.mul(alpha).add(tf.sub(1, truth).mul(1 - alpha));
    return tf.neg(tf.mean(weight.mul(tf.pow(tf.sub(1, pt), gamma)).mul(pt.log()))) as tf.Scalar;
  }
  return tf.neg(tf.mean(tf.sum(truth.mul(tf.pow(tf.sub(1, p), gamma)).mul(p.log()), -1))) as tf.Scalar;
}

export function segmentationLoss(name: LossName): SegmentationLoss {
  switch (name) {
    case 'dice+bce':
      return (t, p) => tf.tidy(() => tf.sub(1, tverskyIndex(t, p, 0.5, 0.5)).add(crossEntropy(t, p)));
    case 'dice+focal':
      // Focal values are ~10x smaller than BCE; the weight puts both terms on a similar scale.
      return (t, p) => tf.tidy(() => tf.sub(1, tverskyIndex(t, p, 0.5, 0.5)).add(focal(t, p).mul(10)));
    case 'tversky':
      // alpha 0.3 on false positives, beta 0.7 on false negatives (Salehi et al. 2017): favours recall.
      return (t, p) => tf.tidy(() => tf.sub(1, tverskyIndex(t, p, 0.3, 0.7)));
    default:
      throw new ModelOptionsError(`segmentationLoss: unknown loss "${String(name)}" (known: ${lossNames.join(', ')})`);
  }
}
