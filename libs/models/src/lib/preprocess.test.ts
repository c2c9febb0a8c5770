import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { caffePreprocessing, greyToEncoderChannel, greyToEncoderInput, tfPreprocessing } from './preprocess.js';
import { buildUnet } from './unet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('backbone preprocessing', () => {
  it("tf maps 0..255 to -1..1; caffe reverses RGB to BGR and subtracts Keras's ImageNet BGR mean", () => {
    const rgb = tf.tensor4d([0, 127.5, 255, 10, 20, 30], [1, 1, 2, 3]);
    const scaled = [-1, 0, 1, 10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1];
    Array.from(tfPreprocessing.apply(rgb).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(scaled[i]!, 6));
    const caffe = Array.from(caffePreprocessing.apply(rgb).dataSync());
    const expected = [255 - 103.939, 127.5 - 116.779, 0 - 123.68, 30 - 103.939, 20 - 116.779, 10 - 123.68];
    caffe.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });

  it('a grey slice stays one channel for tf and becomes three (each with its own mean) for caffe', () => {
    const slices = tf.tensor3d([0, 0.5, 1, 2], [1, 2, 2]);
    const tfChannel = greyToEncoderChannel(slices, [0, 1], tfPreprocessing);
    expect(tfChannel.repeated).toBe(3);
    expect(Array.from(tfChannel.input.dataSync())).toEqual([-1, 0, 1, 1]);
    const caffe = greyToEncoderChannel(slices, [0, 1], caffePreprocessing);
    expect(caffe.repeated).toBeNull();
    expect(caffe.input.shape).toEqual([1, 2, 2, 3]);
    expect(Array.from(caffe.input.dataSync()).slice(0, 3).map((v) => Number(v.toFixed(3)))).toEqual([-103.939, -116.779, -123.68]);
    expect(Array.from(greyToEncoderInput(slices, [0, 1], caffePreprocessing).dataSync())).toEqual(Array.from(caffe.input.dataSync()));
  });

  it("a caffe backbone's fast features equal its layers' on the full three-channel input (VGG16, random weights)", async () => {
    const unet = await buildUnet({ backbone: 'vgg16', encoderWeights: 'none', inputSize: 32, decoderFilters: [8, 8, 8, 8, 8], intensityRange: [0, 1] });
    const slices = tf.randomUniform([2, 32, 32], 0, 1, 'float32', 3) as tf.Tensor3D;
    const reference = unet.encode(greyToEncoderInput(slices, [0, 1], unet.encoder.preprocessing));
    const fast = unet.features(slices);
    fast.forEach((t, i) => {
      const scale = tf.max(tf.abs(reference[i]!)).dataSync()[0]!;
      expect(scale).toBeGreaterThan(0);
      expect(tf.max(tf.abs(tf.sub(t, reference[i]!))).dataSync()[0]! / scale).toBeLessThan(1e-5);
    });
    tf.dispose([slices, ...reference, ...fast]);
    unet.dispose();
  });
});
