import * as tf from '@tensorflow/tfjs';

/**
 * Scale and shift equal to an inference-mode BatchNormalization over the last axis:
 * gamma (x - mean) / sqrt(var + eps) + beta = x * scale + shift. One implementation for inferenceForward and the
 * ONNX exporter, so the exported graph folds BN with the same arithmetic as medseg's own inference.
 */
export function batchNormAffine(bn: tf.layers.Layer): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
  const config = bn.getConfig();
  const weights = bn.getWeights();
  let k = 0;
  const gamma = config['scale'] === false ? null : weights[k++]!;
  const beta = config['center'] === false ? null : weights[k++]!;
  const mean = weights[k++]!;
  const variance = weights[k]!;
  const inverse = tf.rsqrt(tf.add(variance, config['epsilon'] as number));
  const scale = (gamma === null ? inverse : tf.mul(gamma, inverse)) as tf.Tensor1D;
  const shift = tf.sub(beta ?? 0, tf.mul(mean, scale)) as tf.Tensor1D;
  return { scale, shift };
}
