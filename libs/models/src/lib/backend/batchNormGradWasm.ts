import * as tf from '@tensorflow/tfjs';
import { channelSum } from './channelSum.js';

type GradFunc = tf.GradConfig['gradFunc'];

/**
 * The FusedBatchNorm gradient with per-channel (rank-1) statistics, written for wasm: the stock tfjs gradient
 * tiles 1/σ to the full activation shape (wasm's Tile costs ~100 ms per 2M floats, most of a decoder training
 * step's BN time) and multiplies full-size tensors by per-channel factors before summing. Here the per-channel
 * factors are applied after the channel sums, Σdy and Σdy·(x−μ) are shared by the mean, variance, scale and
 * offset gradients, and sums run as GEMMs. Same formulas:
 *   dx = dy·γ/σ, dμ = −Σdy·γ/σ, dσ² = −½·Σdy(x−μ)·γ/σ³, dγ = Σdy(x−μ)/σ, dβ = Σdy, with σ = √(σ²+ε).
 */
export function batchNormGradWasm(dy: tf.Tensor, saved: tf.Tensor[], attrs: tf.NamedAttrMap): Record<string, () => tf.Tensor> {
  const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D | undefined];
  const epsilon = attrs['varianceEpsilon'] as number;
  const gamma = scale ?? tf.onesLike(mean);
  const invStd = tf.rsqrt(variance.add(epsilon));
  const gammaInvStd = gamma.mul(invStd);
  // Σdy and Σdy·(x−μ) over batch and space, shared by four gradients. Computed here rather than in the
  // closures: the tape runs each closure in its own tidy, and this body's tensors live until backprop ends.
  const sumDy = channelSum(dy);
  const sumDyCentred = channelSum(tf.tidy(() => dy.mul(x.sub(mean))));
  return {
    x: () => dy.mul(gammaInvStd),
    mean: () => sumDy.mul(gammaInvStd).neg(),
    variance: () => sumDyCentred.mul(gammaInvStd).mul(invStd.square()).mul(-0.5),
    scale: () => sumDyCentred.mul(invStd),
    offset: () => sumDy.clone(),
  };
}

let stockGradFunc: GradFunc | undefined;

/**
 * Installs batchNormGradWasm as FusedBatchNorm's gradient while the wasm backend is active with rank-1
 * statistics; every other case (other backends, rank-4 statistics) keeps tfjs's own gradient, so results on
 * cpu or tfjs-node stay bit-identical to stock tfjs. Idempotent.
 */
export function registerBatchNormGradWasm(): void {
  if (stockGradFunc !== undefined) return;
  const stock = tf.getGradient('FusedBatchNorm');
  if (stock === undefined) throw new Error('registerBatchNormGradWasm: tfjs has no FusedBatchNorm gradient to wrap');
  stockGradFunc = stock.gradFunc;
  const fallback = stock.gradFunc;
  tf.registerGradient({
    ...stock,
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() === 'wasm' && saved[1]?.rank === 1 && !Array.isArray(dy)) return batchNormGradWasm(dy, saved, attrs);
      return fallback(dy, saved, attrs);
    },
  });
}
