import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { sharedPath } from '@medseg/data/testing';
import { getBackbone } from './backbones.js';
import { type Encoder, loadEncoder } from './encoder.js';
import { inferenceForward } from './inference-graph.js';
import { activateWasmBackend } from './backend/wasmBackend.js';

const weights = sharedPath('weights/mobilenet_v2_1.0_224_no_top/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5');
const backbone = getBackbone('mobilenet_v2_1.0');
let encoder: Encoder;
let photos: tf.Tensor4D;

beforeAll(async () => {
  await activateWasmBackend();
  encoder = await loadEncoder({ backbone, weightsFile: weights, inputSize: 224, rng: createRng(1) });
  // The three photos and their mirror images, RGB 0..255, preprocessed as the entry says.
  const images = await Promise.all(
    ['dog.jpg', 'eagle.jpg', 'giraffe.jpg'].map(async (name) => {
      const { data } = await sharp(sharedPath('weights/photos', name)).resize(224, 224, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return Float32Array.from(data);
    }),
  );
  photos = tf.tidy(() => {
    const rgb = tf.tensor4d(Float32Array.from(images.flatMap((image) => [...image])), [3, 224, 224, 3]);
    return backbone.preprocessing.apply(tf.concat([rgb, tf.reverse(rgb, 2)]));
  });
});

afterAll(() => {
  encoder.model.dispose();
  photos.dispose();
});

function pearson(a: readonly number[], b: readonly number[]): number {
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i]! - mb);
    aa += (x - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

/**
 * For every BatchNormalization layer, in order: the correlation between the log-variance of its input channels
 * over the photos (inference mode) and the log of its stored `moving_variance`. Channels whose input is
 * constant (variance 0: dead after a ReLU6 on these photos) are left out, as the README says.
 */
function varianceCorrelations(model: tf.LayersModel): { layer: string; r: number; spread: number }[] {
  const bns = model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
  const probe = tf.model({ inputs: model.inputs, outputs: bns.map((bn) => bn.input as tf.SymbolicTensor) });
  const inputs = probe.predict(photos) as tf.Tensor[];
  const result = bns.map((bn, i) => {
    const variance = Array.from(tf.tidy(() => tf.moments(inputs[i]!, [0, 1, 2]).variance).dataSync());
    const stored = Array.from(bn.getWeights()[3]!.dataSync());
    const keep = variance.map((v, c) => (v > 1e-10 ? c : -1)).filter((c) => c >= 0);
    const logStored = keep.map((c) => Math.log(stored[c]!));
    const mean = logStored.reduce((a, b) => a + b, 0) / logStored.length;
    const spread = Math.sqrt(logStored.reduce((a, b) => a + (b - mean) ** 2, 0) / logStored.length);
    return { layer: bn.name, r: pearson(keep.map((c) => Math.log(variance[c]!)), logStored), spread };
  });
  tf.dispose(inputs);
  return result;
}

const median = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

describe('MobileNet v2 1.0 with the Keras ImageNet weights (HDF5)', () => {
  it('builds with the Keras layer names, 2,257,984 parameters and the segmentation_models skips', () => {
    expect(encoder.model.countParams()).toBe(2_257_984);
    expect(encoder.skipNames).toEqual(['out_relu', 'block_13_expand_relu', 'block_6_expand_relu', 'block_3_expand_relu', 'block_1_expand_relu']);
    expect(encoder.model.outputs.map((o) => o.shape)).toEqual([[null, 7, 7, 1280], [null, 14, 14, 576], [null, 28, 28, 192], [null, 56, 56, 144], [null, 112, 112, 96]]);
  });

  it('every BatchNorm layer sees input channel variances that match its stored moving variance', () => {
    const correlations = varianceCorrelations(encoder.model);
    expect(correlations).toHaveLength(52);
    // Conv_1_bn's stored variances all lie in 0.93-1.26 (log spread 0.04): nothing to correlate, so it is left out.
    const informative = correlations.filter(({ spread }) => spread >= 0.1);
    expect(correlations.filter(({ spread }) => spread < 0.1).map(({ layer }) => layer)).toEqual(['Conv_1_bn']);
    // Measured with this build: median 0.93, 48 of 51 layers at 0.8 or more, the lowest block_16_project_BN (0.63).
    expect(median(informative.map(({ r }) => r))).toBeGreaterThan(0.9);
    expect(informative.filter(({ r }) => !(r >= 0.8)).length).toBeLessThanOrEqual(3);
    expect(Math.min(...informative.map(({ r }) => r))).toBeGreaterThan(0.6);
  });

  it("the check fails a build with one convolution's output channels permuted", () => {
    const conv = encoder.model.getLayer('block_5_expand');
    const original = conv.getWeights()[0]!.clone();
    const channels = original.shape[3]!;
    const order = tf.tensor1d(Array.from({ length: channels }, (_, c) => (c * 37 + 11) % channels), 'int32');
    conv.setWeights([tf.gather(original, order, 3)]);
    try {
      const r = new Map(varianceCorrelations(encoder.model).map(({ layer, r }) => [layer, r]));
      // Measured: 0.04 at the BN reading the permuted channels, 0.70 and 0.65 in the two after it (0.93-0.97 intact).
      expect(r.get('block_5_expand_BN')).toBeLessThan(0.3);
      expect(r.get('block_5_depthwise_BN')).toBeLessThan(0.75);
      expect(r.get('block_5_project_BN')).toBeLessThan(0.75);
    } finally {
      conv.setWeights([original]);
      tf.dispose([original, order]);
    }
  });

  it('gives the same features through the folded inference graph as through the layers', () => {
    const input = photos.slice([0], [2]);
    const reference = encoder.model.predict(input) as tf.Tensor[];
    const fast = tf.tidy(() => inferenceForward(encoder.model, [input]));
    fast.forEach((t, i) => {
      const scale = tf.max(tf.abs(reference[i]!)).dataSync()[0]!;
      expect(tf.max(tf.abs(tf.sub(t, reference[i]!))).dataSync()[0]! / scale).toBeLessThan(1e-4);
    });
    tf.dispose([input, ...reference, ...fast]);
  });
});
