import * as tf from '@tensorflow/tfjs';

/**
 * Padding along one axis for a convolution that reads `length` input positions through `taps` taps spaced
 * `dilation` apart, moving `stride` per output, starting `before` positions before the input, and that must
 * produce exactly `outputs` outputs. The padding after may come out negative when the input holds positions
 * that no output reads (a 'valid' convolution whose stride does not divide the input); then the input is
 * cropped by `crop` instead.
 */
export interface AxisPadding {
  readonly before: number;
  readonly after: number;
  readonly crop: number;
}

export function axisPadding(
  length: number,
  taps: number,
  dilation: number,
  stride: number,
  before: number,
  outputs: number,
): AxisPadding {
  const after = (outputs - 1) * stride + (taps - 1) * dilation + 1 - before - length;
  return after >= 0 ? { before, after, crop: 0 } : { before, after: 0, crop: -after };
}

/**
 * Inserts `stride - 1` zeros after every row and column of an NHWC tensor (the "dilation by the stride" that
 * turns a strided convolution's gradient into a stride-1 convolution). Built from Reshape + Pad, which the wasm
 * backend runs as plain memory copies, so it costs one pass over the (larger) output.
 */
export function dilateSpatial(x: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return x;
  const [batch, height, width, channels] = x.shape;
  return tf.tidy(() =>
    x
      .reshape([batch, height, 1, width, 1, channels])
      .pad([
        [0, 0],
        [0, 0],
        [0, strideHeight - 1],
        [0, 0],
        [0, strideWidth - 1],
        [0, 0],
      ])
      .reshape([batch, height * strideHeight, width * strideWidth, channels]),
  );
}

/** Crops `bottom` rows and `right` columns off an NHWC tensor (no copy when there is nothing to crop). */
export function cropBottomRight(x: tf.Tensor4D, bottom: number, right: number): tf.Tensor4D {
  if (bottom === 0 && right === 0) return x;
  const [batch, height, width, channels] = x.shape;
  return x.slice([0, 0, 0, 0], [batch, height - bottom, width - right, channels]);
}
