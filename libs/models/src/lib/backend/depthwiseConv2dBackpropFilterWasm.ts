import * as tf from '@tensorflow/tfjs';
import { axisPadding, cropBottomRight } from './convGeometry.js';

interface DepthwiseBackpropFilterAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * The filter gradient of a depthwise convolution (needed when the encoder is unfrozen), as one depthwise
 * convolution on the backend: every (batch, channel) pair becomes a channel of a batch-1 image [1, H, W, b·c],
 * the output gradient becomes its filter [OH, OW, b·c, M] dilated by the forward stride and moved by the
 * forward dilation, and the per-batch results [KH, KW, b, c·M] are summed over b.
 */
export function depthwiseConv2dBackpropFilterWasm(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: DepthwiseBackpropFilterAttrs,
): tf.Tensor4D {
  // tfjs's depthwise gradient itself rejects dilation > 1 (and the cpu reference kernel ignores it), so do not
  // pretend to support it.
  if (!tf.backend_util.tupleValuesAreOne(attrs.dilations)) {
    throw new Error(`depthwiseConv2dBackpropFilterWasm: dilations must be 1, got ${String(attrs.dilations)}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    'channelsLast',
  );
  const [batch, , , channels] = x.shape;
  const [filterHeight, filterWidth, , multiplier] = attrs.filterShape;
  const rows = axisPadding(info.inHeight, info.outHeight, info.strideHeight, info.dilationHeight, info.padInfo.top, filterHeight);
  const cols = axisPadding(info.inWidth, info.outWidth, info.strideWidth, info.dilationWidth, info.padInfo.left, filterWidth);
  return tf.tidy(() => {
    const input = cropBottomRight(
      x.transpose([1, 2, 0, 3]).reshape([1, info.inHeight, info.inWidth, batch * channels]),
      rows.crop,
      cols.crop,
    );
    const filter = dy.transpose([1, 2, 0, 3]).reshape<tf.Tensor4D>([info.outHeight, info.outWidth, batch * channels, multiplier]);
    const perBatch = tf.depthwiseConv2d(
      input,
      filter,
      [info.dilationHeight, info.dilationWidth],
      [
        [0, 0],
        [rows.before, rows.after],
        [cols.before, cols.after],
        [0, 0],
      ],
      'NHWC',
      [info.strideHeight, info.strideWidth],
    );
    return perBatch
      .reshape([filterHeight, filterWidth, batch, channels * multiplier])
      .sum(2)
      .reshape<tf.Tensor4D>([filterHeight, filterWidth, channels, multiplier]);
  });
}
