import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { resizeBilinear, resizeNearest } from './resize.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('resize', () => {
  const rng = createRng(9);
  const [w, h] = [37, 23];
  const image = Float32Array.from({ length: w * h }, () => rng.uniform(-5, 5));
  const labels = Uint8Array.from({ length: w * h }, () => rng.int(0, 3));

  it('bilinear matches tf.image.resizeBilinear with half-pixel centres, up and down', () => {
    for (const [nw, nh] of [[64, 64], [16, 11], [37, 23]] as const) {
      const expected = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(image, [1, h, w, 1]), [nh, nw], false, true).dataSync());
      const actual = resizeBilinear(image, w, h, nw, nh);
      for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
    }
  });

  it('nearest matches tf.image.resizeNearestNeighbor with half-pixel centres and only copies labels', () => {
    for (const [nw, nh] of [[64, 50], [16, 11]] as const) {
      const expected = tf.tidy(() => tf.image.resizeNearestNeighbor(tf.tensor4d(labels, [1, h, w, 1], 'int32'), [nh, nw], false, true).dataSync());
      expect(Array.from(resizeNearest(labels, w, h, nw, nh))).toEqual(Array.from(expected));
    }
  });
});
