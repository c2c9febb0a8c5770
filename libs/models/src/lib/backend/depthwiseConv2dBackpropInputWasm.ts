import * as tf from '@tensorflow/tfjs';
import { axisPadding, cropBottomRight, dilateSpatial } from './convGeometry.js';

interface DepthwiseBackpropInputAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * The input gradient of a depthwise convolution: a stride-1 depthwise convolution of the output gradient
 * (dilated by the forward stride) with the spatially flipped kernel, keeping the forward dilation; with a
 * channel multiplier M the c·M+m output channels are summed back to c. Returns undefined for geometries it
 * does not cover so that the caller can fall back to the stock kernel.
 */
export function depthwiseConv2dBackpropInputWasm(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: DepthwiseBackpropInputAttrs,
): tf.Tensor4D | undefined {
  // tfjs's depthwise gradient itself rejects dilation > 1 (and the cpu reference kernel ignores it), so do not
  // pretend to support it.
  if (!tf.backend_util.tupleValuesAreOne(attrs.dilations)) {
    throw new Error(`depthwiseConv2dBackpropInputWasm: dilations must be 1, got ${String(attrs.dilations)}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    'channelsLast',
  );
  const [filterHeight, filterWidth, channels, multiplier] = filter.shape;
  const top = (filterHeight - 1) * info.dilationHeight - info.padInfo.top;
  const left = (filterWidth - 1) * info.dilationWidth - info.padInfo.left;
  if (top < 0 || left < 0) return undefined;
  const rows = axisPadding(info.outHeight * info.strideHeight, filterHeight, info.dilationHeight, 1, top, info.inHeight);
  const cols = axisPadding(info.outWidth * info.strideWidth, filterWidth, info.dilationWidth, 1, left, info.inWidth);
  return tf.tidy(() => {
    const flipped = filter.reverse([0, 1]).reshape<tf.Tensor4D>([filterHeight, filterWidth, channels * multiplier, 1]);
    const input = cropBottomRight(dilateSpatial(dy, info.strideHeight, info.strideWidth), rows.crop, cols.crop);
    const perOutput = tf.depthwiseConv2d(
      input,
      flipped,
      1,
      [
        [0, 0],
        [rows.before, rows.after],
        [cols.before, cols.after],
        [0, 0],
      ],
      'NHWC',
      [info.dilationHeight, info.dilationWidth],
    );
    if (multiplier === 1) return perOutput;
    const [batch, height, width] = attrs.inputShape;
    return perOutput.reshape([batch, height, width, channels, multiplier]).sum(4).reshape<tf.Tensor4D>([batch, height, width, channels]);
  });
}
