import * as tf from '@tensorflow/tfjs';

/**
 * Grey slices [n, h, w] (or [n, h, w, c]) to encoder input channels [n, h, w, c] (c = 1 without context slices):
 * scaled linearly so that `range` maps to 0..255 (clipped), then `x / 127.5 - 1` as Keras MobileNet was
 * trained. Call inside `tf.tidy`.
 */
export function greyToEncoderChannel(slices: tf.Tensor, range: readonly [number, number]): tf.Tensor4D {
  const [low, high] = range;
  const scale = 255 / (high - low || 1);
  const x4 = slices.rank === 3 ? slices.expandDims(-1) : slices;
  return x4.sub(low).mul(scale).clipByValue(0, 255).div(127.5).sub(1) as tf.Tensor4D;
}

/**
 * The encoder's full three-channel input: a lone grey channel repeated three times (ImageNet encoders expect
 * RGB), three context channels as they are. A broadcasting multiply, because wasm's Tile is several times
 * slower. Call inside `tf.tidy`.
 */
export function greyToEncoderInput(slices: tf.Tensor, range: readonly [number, number]): tf.Tensor4D {
  const channels = greyToEncoderChannel(slices, range);
  return channels.shape[3] === 3 ? channels : (tf.mul(channels, tf.ones([3])) as tf.Tensor4D);
}
