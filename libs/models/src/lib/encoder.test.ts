import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { sharedPath } from '@medseg/data/testing';
import { getBackbone } from './backbones.js';
import { loadEncoder } from './encoder.js';
import { layersModelFromFiles, readLayersModelFiles } from './layers-model-files.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function photo(name: string, size: number): Promise<tf.Tensor4D> {
  const { data } = await sharp(sharedPath('weights/photos', name)).resize(size, size, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return tf.tidy(() => tf.tensor4d(Float32Array.from(data), [1, size, size, 3]).div(127.5).sub(1) as tf.Tensor4D);
}

describe('loading Keras MobileNet v1 weights', () => {
  it('the ImageNet classifier puts dog classes in the top 5 for dog.jpg and bald eagle for eagle.jpg', async () => {
    const dir = sharedPath('weights/mobilenet_v1_0.25_224_classifier');
    const model = await layersModelFromFiles(await readLayersModelFiles(`${dir}/model.json`));
    const labels = (await readFile(`${dir}/labels.txt`, 'utf8')).split('\n');
    const top5 = async (name: string): Promise<string[]> => {
      const input = await photo(name, 224);
      const probs = model.predict(input) as tf.Tensor;
      const { indices } = tf.topk(probs.reshape([-1]), 5);
      const result = Array.from(await indices.data(), (i) => labels[i]!);
      tf.dispose([input, probs, indices]);
      return result;
    };
    const dog = await top5('dog.jpg');
    expect(dog.some((label) => /malamute|Siberian husky|Eskimo dog/.test(label))).toBe(true);
    expect(await top5('eagle.jpg')).toContain('bald eagle, American eagle, Haliaeetus leucocephalus');
    model.dispose();
  });

  it('rebuilds the encoder for another input size with the same features as the original topology', async () => {
    // The original (fixed 224 input) network, read as Keras wrote it, cut at the skips by its own graph.
    const dir = sharedPath('weights/mobilenet_v1_0.25_224_classifier');
    const original = await layersModelFromFiles(await readLayersModelFiles(`${dir}/model.json`));
    const backbone = getBackbone('mobilenet_v1_0.25');
    const encoder = await loadEncoder({ backbone, weightsFile: `${dir}/model.json`, inputSize: 224, rng: createRng(1) });
    expect(encoder.skipNames).toEqual(['conv_pw_13_relu', 'conv_pw_11_relu', 'conv_pw_5_relu', 'conv_pw_3_relu', 'conv_pw_1_relu']);
    expect(encoder.skipChannels).toEqual([256, 128, 64, 32, 16]);
    const cut = tf.model({ inputs: original.inputs, outputs: encoder.skipNames.map((n) => original.getLayer(n).output as tf.SymbolicTensor) });
    const input = await photo('giraffe.jpg', 224);
    const expected = cut.predict(input) as tf.Tensor[];
    const actual = encoder.model.predict(input) as tf.Tensor[];
    for (let i = 0; i < expected.length; i++) {
      expect(actual[i]!.shape).toEqual(expected[i]!.shape);
      expect(tf.max(tf.abs(tf.sub(actual[i]!, expected[i]!))).dataSync()[0]).toBeLessThan(1e-4);
    }
    tf.dispose([input, ...expected, ...actual]);
    // The headless free-size export gives the same encoder; at 96x96 the strides give 3x3 ... 48x48 features.
    const small = await loadEncoder({ backbone, weightsFile: sharedPath('weights/mobilenet_v1_0.25_224/model.json'), inputSize: 96, rng: createRng(1) });
    const features = small.model.predict(tf.zeros([1, 96, 96, 3])) as tf.Tensor[];
    expect(features.map((f) => f.shape)).toEqual([[1, 3, 3, 256], [1, 6, 6, 128], [1, 12, 12, 64], [1, 24, 24, 32], [1, 48, 48, 16]]);
    tf.dispose(features);
    original.dispose();
    encoder.model.dispose();
    small.model.dispose();
  });

  it('takes conv_pw_12_relu as the deepest skip of the alpha 1.0 model cut after block 12', async () => {
    const encoder = await loadEncoder({
      backbone: getBackbone('mobilenet_v1_1.0'),
      weightsFile: sharedPath('weights/mobilenet_v1_1.00_224_to_conv_pw_12/model.json'),
      inputSize: 64,
      rng: createRng(1),
    });
    expect(encoder.depth).toBe(12);
    expect(encoder.skipNames[0]).toBe('conv_pw_12_relu');
    expect(encoder.skipChannels).toEqual([1024, 512, 256, 128, 64]);
    encoder.model.dispose();
  });

  it('refuses weights of another width with a message naming the file', async () => {
    const path = sharedPath('weights/mobilenet_v1_0.25_224/model.json');
    await expect(loadEncoder({ backbone: getBackbone('mobilenet_v1_1.0'), weightsFile: path, inputSize: 64, rng: createRng(1) })).rejects.toThrow(
      /wrong backbone/,
    );
  });
});

describe('a random encoder (--encoder-weights none)', () => {
  it('keeps its features at a usable scale through all 13 blocks (He initialisation, identity batch norm)', async () => {
    const encoder = await loadEncoder({ backbone: getBackbone('mobilenet_v1_0.25'), weightsFile: null, inputSize: 64, rng: createRng(1) });
    const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 3);
    const features = encoder.model.predict(x) as tf.Tensor[];
    // Inputs have std 0.58; with Glorot initialisation the deepest features had std ~1e-16.
    const stds = await Promise.all(features.map(async (f) => Math.sqrt((await tf.moments(f).variance.data())[0]!)));
    expect(stds).toHaveLength(5);
    for (const std of stds) expect(std).toBeGreaterThan(1e-2);
    tf.dispose([x, ...features]);
    encoder.model.dispose();
  });
});
