import * as tf from '@tensorflow/tfjs';
import { reverseLeadingRows } from './reverseLeadingRows.js';
import { axisPadding, cropBottomRight, dilateSpatial } from './convGeometry.js';

interface Conv2DBackpropInputAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * The input gradient of a 2-D convolution as a stride-1 convolution of the output gradient (dilated by the
 * forward stride) with the spatially flipped, in/out-transposed kernel. tfjs-backend-wasm's own
 * Conv2DBackpropInput is a scalar loop; this runs on XNNPACK. Returns undefined for geometries it does not
 * cover (padding before larger than the kernel) so that the caller can fall back to the stock kernel.
 */
export function conv2dBackpropInputWasm(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: Conv2DBackpropInputAttrs,
): tf.Tensor4D | undefined {
  if (attrs.dataFormat === 'NCHW') throw new Error('conv2dBackpropInputWasm: only NHWC is supported, got NCHW');
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  if (top < 0 || left < 0) return undefined;
  const rows = axisPadding(info.outHeight * info.strideHeight, info.filterHeight, 1, 1, top, info.inHeight);
  const cols = axisPadding(info.outWidth * info.strideWidth, info.filterWidth, 1, 1, left, info.inWidth);
  return tf.tidy(() => {
    // Reversing both spatial axes of [KH, KW, ...] is reversing the KH·KW taps in row-major order.
    const flipped = reverseLeadingRows(filter, info.filterHeight * info.filterWidth).transpose<tf.Tensor4D>([0, 1, 3, 2]);
    const input = cropBottomRight(dilateSpatial(dy, info.strideHeight, info.strideWidth), rows.crop, cols.crop);
    return tf.conv2d(input, flipped, 1, [
      [0, 0],
      [rows.before, rows.after],
      [cols.before, cols.after],
      [0, 0],
    ]);
  });
}
