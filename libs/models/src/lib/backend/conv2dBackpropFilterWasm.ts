import * as tf from '@tensorflow/tfjs';
import { axisPadding, cropBottomRight } from './convGeometry.js';

interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * The filter gradient of a 2-D convolution, which tfjs-backend-wasm 4.22 lacks (so stock wasm cannot train a
 * conv net). dW[kh,kw,ci,co] = Σ_b,oh,ow x[b, oh·s+kh−pt, ow·s+kw−pl, ci] · dy[b,oh,ow,co] is itself a
 * stride-1 convolution: input x transposed to [ci, H, W, b] (ci becomes the batch, b the contracted channel),
 * filter dy transposed to [OH, OW, b, co] and dilated by the forward stride, output [ci, KH, KW, co]. That runs
 * on the backend's XNNPACK convolution instead of a scalar loop.
 */
export function conv2dBackpropFilterWasm(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: Conv2DBackpropFilterAttrs): tf.Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('conv2dBackpropFilterWasm: only NHWC is supported, got NCHW');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const rows = axisPadding(info.inHeight, info.outHeight, info.strideHeight, 1, info.padInfo.top, info.filterHeight);
  const cols = axisPadding(info.inWidth, info.outWidth, info.strideWidth, 1, info.padInfo.left, info.filterWidth);
  return tf.tidy(() => {
    const input = cropBottomRight(x.transpose<tf.Tensor4D>([3, 1, 2, 0]), rows.crop, cols.crop);
    const filter = dy.transpose<tf.Tensor4D>([1, 2, 0, 3]);
    const out = tf.conv2d(
      input,
      filter,
      1,
      [
        [0, 0],
        [rows.before, rows.after],
        [cols.before, cols.after],
        [0, 0],
      ],
      'NHWC',
      [info.strideHeight, info.strideWidth],
    );
    return out.transpose<tf.Tensor4D>([1, 2, 0, 3]);
  });
}
