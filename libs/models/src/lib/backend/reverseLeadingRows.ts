import * as tf from '@tensorflow/tfjs';

/**
 * Reverses the leading `taps` rows of a [taps, ...] tensor (a convolution kernel's spatial positions) as a
 * product with the anti-diagonal permutation matrix: exact (each output is 1·w plus zeros) and about 4x faster
 * than wasm's element-wise Reverse kernel on decoder-sized kernels. Call inside `tf.tidy`.
 */
export function reverseLeadingRows(t: tf.Tensor, taps: number): tf.Tensor {
  if (taps === 1) return t;
  const permutation = tf.buffer([taps, taps], 'float32');
  for (let i = 0; i < taps; i++) permutation.set(1, i, taps - 1 - i);
  return tf.matMul(permutation.toTensor(), t.reshape([taps, t.size / taps])).reshape(t.shape);
}
