import * as tf from '@tensorflow/tfjs';

/**
 * Grey slices [n, h, w] (or [n, h, w, 1]) to the encoder's input: scaled linearly so that `range` maps to
 * 0..255 (clipped), repeated to three channels (ImageNet encoders expect RGB), then `x / 127.5 - 1` as Keras
 * MobileNet was trained. Call inside `tf.tidy`.
 */
export function greyToEncoderInput(slices: tf.Tensor, range: readonly [number, number]): tf.Tensor4D {
  const [low, high] = range;
  const scale = 255 / (high - low || 1);
  const x4 = slices.rank === 3 ? slices.expandDims(-1) : slices;
  const grey = x4.sub(low).mul(scale).clipByValue(0, 255);
  return tf.tile(grey, [1, 1, 1, 3]).div(127.5).sub(1) as tf.Tensor4D;
}
