import * as tf from '@tensorflow/tfjs';
import { channelSum } from './channelSum.js';

/**
 * Sum or Mean over every axis but the last (BatchNormalization's moments, bias and BN-parameter gradients) on
 * wasm, as a GEMM with a column of ones: the stock wasm reduction transposes the reduced axes to the end and
 * loops, about 4x slower on decoder activations. Returns undefined for other reductions (the caller falls back).
 */
export function leadingAxesReductionWasm(
  kind: 'Sum' | 'Mean',
  x: tf.Tensor,
  attrs: { axis: number | number[]; keepDims: boolean },
): tf.Tensor | undefined {
  if (x.dtype !== 'float32' || x.rank < 2 || x.size === 0) return undefined;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape);
  const leading = axes.length === x.rank - 1 && [...axes].sort((a, b) => a - b).every((axis, i) => axis === i);
  if (!leading) return undefined;
  return tf.tidy(() => {
    const channels = x.shape[x.rank - 1]!;
    const sum = channelSum(x);
    const reduced = kind === 'Mean' ? sum.div(x.size / channels) : sum;
    return attrs.keepDims ? reduced.reshape([...new Array<number>(x.rank - 1).fill(1), channels]) : reduced;
  });
}
