import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { debianPython, readStsSlice } from '@medseg/data/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallUnetOptions } from '../../testing/small-unet.js';
import { selectBackend } from '../backend/selectBackend.js';
import { createOnnxEngine } from '../engine/onnx-engine.js';
import { ModelExportError } from '../errors.js';
import { resizeBilinear } from '../resize.js';
import { type BuildUnetOptions, buildUnet, type Unet } from '../unet.js';
import { unetOnnxGraph } from './onnx-graph.js';
import { encodeOnnxModel } from './write-onnx.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

/** BatchNormalization statistics and affine parameters far from identity, so folding them matters. */
function randomiseBatchNorm(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const values = layer.getWeights().map((w, i) => (i === 3 ? tf.randomUniform(w.shape, 0.5, 3, 'float32', s++) : tf.randomUniform(w.shape, -1.5, 1.5, 'float32', s++)));
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Three real STS slices through the tumour (STS_001 z 26..28), resized to the network's input, with the slice range. */
async function stsSlices(size: number, channels: number): Promise<{ images: Float32Array; range: [number, number] }> {
  const planes: Float32Array[] = [];
  for (let z = 25; z <= 29; z++) {
    const { image, width, height } = await readStsSlice('STS_001', z);
    const out = new Float32Array(size * size);
    resizeBilinear(image, width, height, size, size, out);
    planes.push(out);
  }
  const images = new Float32Array(3 * size * size * channels);
  for (let n = 0; n < 3; n++)
    for (let c = 0; c < channels; c++) {
      const plane = planes[n + 1 + c - (channels === 1 ? 0 : 1)]!;
      for (let i = 0; i < size * size; i++) images[(n * size * size + i) * channels + c] = plane[i]!;
    }
  let high = 0;
  for (const v of images) high = Math.max(high, v);
  return { images, range: [0, high * 0.8] };
}

/** onnx.checker.check_model(full_check=True) from Debian's python3-onnx: '' when accepted, else its message. */
function onnxChecker(bytes: Uint8Array): string {
  const file = join(mkdtempSync(join(tmpdir(), 'medseg-onnx-')), 'model.onnx');
  writeFileSync(file, bytes);
  const script = 'import sys, onnx\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(m.opset_import[0].version, m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)';
  const result = spawnSync(debianPython, ['-c', script, file], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : result.stderr;
}

async function unetWith(options: Partial<BuildUnetOptions>, seed: number): Promise<Unet> {
  const unet = await buildUnet(smallUnetOptions({ seed, ...options }));
  randomiseBatchNorm(unet.decoder, seed * 10);
  return unet;
}

function tfjsProbabilities(unets: readonly Unet[], images: Float32Array, channels: number): Float32Array {
  const size = unets[0]!.config.inputSize;
  return tf.tidy(() => {
    const x = channels === 1 ? tf.tensor3d(images, [3, size, size]) : tf.tensor4d(images, [3, size, size, channels]);
    const p = tf.addN(unets.map((u) => u.predict(x))).div(unets.length);
    return p.dataSync() as Float32Array;
  });
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('unetOnnxGraph + encodeOnnxModel', () => {
  const cases: { name: string; options: Partial<BuildUnetOptions>; members: number; channels: number }[] = [
    { name: 'grey input, one sigmoid class', options: {}, members: 1, channels: 1 },
    { name: '2.5D input (3 channels), softmax over 2 classes + background', options: { contextSlices: 1, classes: 2 }, members: 1, channels: 3 },
    { name: 'an ensemble of two (mean of probabilities)', options: {}, members: 2, channels: 1 },
    // Caffe preprocessing (BGR, ImageNet mean) in the graph: the channel order matters with 2.5D input.
    { name: 'a caffe-preprocessed backbone (VGG16, random encoder), grey input', options: { backbone: 'vgg16', encoderWeights: 'none' }, members: 1, channels: 1 },
    { name: 'a caffe-preprocessed backbone (VGG16, random encoder), 2.5D input', options: { backbone: 'vgg16', encoderWeights: 'none', contextSlices: 1 }, members: 1, channels: 3 },
  ];
  for (const { name, options, members, channels } of cases) {
    it(`${name}: accepted by onnx.checker (full_check) and equal to the tfjs forward in ONNX Runtime on real STS slices`, async () => {
      const { images, range } = await stsSlices(64, channels);
      const unets = await Promise.all(Array.from({ length: members }, (_, i) => unetWith({ ...options, intensityRange: range }, 3 + i)));
      const before = tf.memory().numTensors;
      const bytes = encodeOnnxModel(unetOnnxGraph(unets));
      // Folding the weights leaves no tensor behind, and never disposes a weight of the model.
      expect(tf.memory().numTensors).toBe(before);
      expect(onnxChecker(bytes)).toBe('13 batch');
      const engine = await createOnnxEngine({ model: bytes, config: unets[0]!.config, threads: 1, source: 'test' });
      const onnx = await engine.predictSlices(images, 3, { batchSize: 2 });
      const reference = tfjsProbabilities(unets, images, channels);
      let spread = 0;
      for (const v of reference) spread = Math.max(spread, v);
      expect(spread).toBeGreaterThan(0.05);
      expect(maxAbsDifference(onnx, reference)).toBeLessThan(1e-4);
      await engine.dispose();
      for (const u of unets) u.dispose();
    });
  }

  it('TTA through ONNX Runtime equals the tfjs TTA', async () => {
    const { images, range } = await stsSlices(64, 1);
    const unet = await unetWith({ intensityRange: range }, 11);
    const engine = await createOnnxEngine({ model: encodeOnnxModel(unetOnnxGraph(unet)), config: unet.config, source: 'test' });
    const { predictSlices } = await import('../predict-slices.js');
    const reference = predictSlices(unet, images, 3, { tta: true });
    expect(maxAbsDifference(await engine.predictSlices(images, 3, { tta: true }), reference)).toBeLessThan(1e-4);
    await engine.dispose();
    unet.dispose();
  });

  it('refuses a layer it has no export for, naming the layer and the model', async () => {
    const unet = await unetWith({}, 5);
    const input = tf.input({ shape: [2, 2, 4] });
    const odd = tf.model({ inputs: input, outputs: tf.layers.leakyReLU({ name: 'odd_leaky' }).apply(input) as tf.SymbolicTensor });
    const foreign: Unet = { ...unet, decoder: odd };
    expect(() => unetOnnxGraph(foreign, { where: '/runs/x' })).toThrow(ModelExportError);
    expect(() => unetOnnxGraph(foreign, { where: '/runs/x' })).toThrow(/^\/runs\/x: layer odd_leaky \(LeakyReLU/);
    odd.dispose();
    unet.dispose();
  });
});
