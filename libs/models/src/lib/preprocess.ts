import * as tf from '@tensorflow/tfjs';

/**
 * How a backbone wants its pixels: RGB 0..255 in, the network's input out, as its weights were trained.
 * `uniform` is the same map applied to one channel when all three input channels are equal (a grey slice), or
 * null when the map differs between channels (caffe's per-channel means), in which case the grey channel is
 * copied to three before `apply`.
 */
export interface Preprocessing {
  /** Keras `preprocess_input` mode: `tf` (x / 127.5 - 1) or `caffe` (RGB to BGR, ImageNet mean subtracted). */
  readonly mode: 'tf' | 'caffe';
  /** [n, h, w, 3] RGB 0..255 → network input. Call inside `tf.tidy`. */
  apply(rgb: tf.Tensor4D): tf.Tensor4D;
  uniform: ((channel: tf.Tensor4D) => tf.Tensor4D) | null;
}

/** Keras `preprocess_input(mode='tf')`: scaled to -1..1, channels as they are (MobileNet v1 and v2). */
export const tfPreprocessing: Preprocessing = {
  mode: 'tf',
  apply: (rgb) => rgb.div(127.5).sub(1),
  uniform: (channel) => channel.div(127.5).sub(1),
};

/** ImageNet mean of B, G, R (0..255) as Keras `preprocess_input(mode='caffe')` subtracts it. */
export const caffeMeanBgr: readonly [number, number, number] = [103.939, 116.779, 123.68];

/** Keras `preprocess_input(mode='caffe')`: RGB to BGR, then the ImageNet mean subtracted per channel, no scaling (VGG, ResNet). */
export const caffePreprocessing: Preprocessing = {
  mode: 'caffe',
  apply: (rgb) => tf.reverse(rgb, -1).sub(tf.tensor1d([...caffeMeanBgr])),
  uniform: null,
};

/** Grey slices [n, h, w] (or [n, h, w, c]) mapped linearly so that `range` becomes 0..255 (clipped), as [n, h, w, c]. */
export function greyTo255(slices: tf.Tensor, range: readonly [number, number]): tf.Tensor4D {
  const [low, high] = range;
  const scale = 255 / (high - low || 1);
  const x4 = slices.rank === 3 ? slices.expandDims(-1) : slices;
  return x4.sub(low).mul(scale).clipByValue(0, 255) as tf.Tensor4D;
}

/**
 * Grey slices to what the encoder's first layer reads, as few channels as possible: with one channel and a
 * preprocessing that treats channels alike, that one channel preprocessed (`repeated: 3`: it stands for three
 * equal channels, see `inferenceForward`); otherwise the full three-channel input. Call inside `tf.tidy`.
 */
export function greyToEncoderChannel(
  slices: tf.Tensor,
  range: readonly [number, number],
  preprocessing: Preprocessing,
): { input: tf.Tensor4D; repeated: number | null } {
  const grey = greyTo255(slices, range);
  if (grey.shape[3] === 1 && preprocessing.uniform !== null) return { input: preprocessing.uniform(grey), repeated: 3 };
  return { input: preprocessing.apply(grey.shape[3] === 3 ? grey : (tf.mul(grey, tf.ones([3])) as tf.Tensor4D)), repeated: null };
}

/**
 * The encoder's full three-channel input: a lone grey channel repeated three times (ImageNet encoders expect
 * RGB), three context channels as they are, then the backbone's preprocessing. A broadcasting multiply, because
 * wasm's Tile is several times slower. Call inside `tf.tidy`.
 */
export function greyToEncoderInput(slices: tf.Tensor, range: readonly [number, number], preprocessing: Preprocessing): tf.Tensor4D {
  const grey = greyTo255(slices, range);
  return preprocessing.apply(grey.shape[3] === 3 ? grey : (tf.mul(grey, tf.ones([3])) as tf.Tensor4D));
}
