import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateWasmBackend } from './wasmBackend.js';
import { wasmTrainingKernelNames } from './registerWasmTrainingKernels.js';

// Float32 sums of a few hundred products: agreement to 1e-4 of the largest magnitude (or 1e-4 absolute below
// magnitude 1) separates rounding order from any indexing mistake, which gives errors of order 1.
const tolerance = 1e-4;

type Shape4 = [number, number, number, number];

function seeded(shape: Shape4, seed: number): Float32Array {
  const rng = createRng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-1, 1);
  return values;
}

/** Runs one kernel on a named backend with fresh tensors and returns its output values and shape. */
async function runOn(
  backend: 'cpu' | 'wasm',
  kernel: string,
  inputs: Record<string, { shape: Shape4; values: Float32Array }>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  await tf.setBackend(backend);
  const tensors = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, tf.tensor4d(t.values, t.shape)]));
  const out = tf.engine().runKernel(kernel, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const values = (await out.data()) as Float32Array;
  const shape = out.shape;
  out.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  return { shape, values };
}

function expectClose(actual: { shape: number[]; values: Float32Array }, expected: { shape: number[]; values: Float32Array }): void {
  expect(actual.shape).toEqual(expected.shape);
  let scale = 1;
  for (const v of expected.values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.values.length; i++) worst = Math.max(worst, Math.abs(actual.values[i]! - expected.values[i]!));
  expect(worst).toBeLessThanOrEqual(tolerance * scale);
}

const geometries: { name: string; input: Shape4; kernel: number; stride: number; pad: 'same' | 'valid' }[] = [];
for (const stride of [1, 2])
  for (const pad of ['same', 'valid'] as const)
    for (const kernel of [1, 3]) {
      // Odd and even, non-square sizes: stride 2 'same' on even sizes pads only bottom/right (TF rule), and
      // stride 2 'valid' on odd widths leaves a trailing column that no output reads.
      geometries.push({ name: `${kernel}x${kernel} s${stride} ${pad} 9x12`, input: [2, 9, 12, 3], kernel, stride, pad });
      geometries.push({ name: `${kernel}x${kernel} s${stride} ${pad} 8x7`, input: [3, 8, 7, 2], kernel, stride, pad });
    }

function outputShape(input: Shape4, kernel: number, stride: number, pad: 'same' | 'valid', channels: number): Shape4 {
  const size = (n: number) => (pad === 'same' ? Math.ceil(n / stride) : Math.ceil((n - kernel + 1) / stride));
  return [input[0], size(input[1]), size(input[2]), channels];
}

describe('wasm training kernels against the cpu backend', () => {
  beforeAll(async () => {
    await activateWasmBackend();
  });

  it('registers every kernel on wasm', () => {
    for (const name of wasmTrainingKernelNames) expect(tf.getKernel(name, 'wasm')).toBeDefined();
  });

  for (const g of geometries) {
    it(`Conv2DBackpropFilter ${g.name}`, async () => {
      const outChannels = 5;
      const filterShape: Shape4 = [g.kernel, g.kernel, g.input[3], outChannels];
      const dyShape = outputShape(g.input, g.kernel, g.stride, g.pad, outChannels);
      const inputs = { x: { shape: g.input, values: seeded(g.input, 1) }, dy: { shape: dyShape, values: seeded(dyShape, 2) } };
      const attrs = { strides: [g.stride, g.stride], pad: g.pad, dataFormat: 'NHWC', filterShape };
      expectClose(await runOn('wasm', 'Conv2DBackpropFilter', inputs, attrs), await runOn('cpu', 'Conv2DBackpropFilter', inputs, attrs));
    });

    it(`Conv2DBackpropInput ${g.name}`, async () => {
      const outChannels = 4;
      const filterShape: Shape4 = [g.kernel, g.kernel, g.input[3], outChannels];
      const dyShape = outputShape(g.input, g.kernel, g.stride, g.pad, outChannels);
      const inputs = { dy: { shape: dyShape, values: seeded(dyShape, 3) }, filter: { shape: filterShape, values: seeded(filterShape, 4) } };
      const attrs = { strides: [g.stride, g.stride], pad: g.pad, dataFormat: 'NHWC', inputShape: g.input };
      expectClose(await runOn('wasm', 'Conv2DBackpropInput', inputs, attrs), await runOn('cpu', 'Conv2DBackpropInput', inputs, attrs));
    });

    for (const multiplier of [1, 2]) {
      it(`DepthwiseConv2dNativeBackpropFilter ${g.name} multiplier ${multiplier}`, async () => {
        const filterShape: Shape4 = [g.kernel, g.kernel, g.input[3], multiplier];
        const dyShape = outputShape(g.input, g.kernel, g.stride, g.pad, g.input[3] * multiplier);
        const inputs = { x: { shape: g.input, values: seeded(g.input, 5) }, dy: { shape: dyShape, values: seeded(dyShape, 6) } };
        const attrs = { strides: [g.stride, g.stride], dilations: [1, 1], pad: g.pad, filterShape };
        const kernel = 'DepthwiseConv2dNativeBackpropFilter';
        expectClose(await runOn('wasm', kernel, inputs, attrs), await runOn('cpu', kernel, inputs, attrs));
      });

      it(`DepthwiseConv2dNativeBackpropInput ${g.name} multiplier ${multiplier}`, async () => {
        const filterShape: Shape4 = [g.kernel, g.kernel, g.input[3], multiplier];
        const dyShape = outputShape(g.input, g.kernel, g.stride, g.pad, g.input[3] * multiplier);
        const inputs = { dy: { shape: dyShape, values: seeded(dyShape, 7) }, filter: { shape: filterShape, values: seeded(filterShape, 8) } };
        const attrs = { strides: [g.stride, g.stride], dilations: [1, 1], pad: g.pad, inputShape: g.input };
        const kernel = 'DepthwiseConv2dNativeBackpropInput';
        expectClose(await runOn('wasm', kernel, inputs, attrs), await runOn('cpu', kernel, inputs, attrs));
      });
    }
  }

  it('depthwise gradients refuse dilation > 1, as the depthwise gradient of tfjs does', async () => {
    const shape: Shape4 = [1, 6, 6, 2];
    const inputs = { x: { shape, values: seeded(shape, 9) }, dy: { shape, values: seeded(shape, 10) } };
    const attrs = { strides: [1, 1], dilations: [2, 2], pad: 'same', filterShape: [3, 3, 2, 1] };
    await expect(runOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', inputs, attrs)).rejects.toThrow(/dilations must be 1/);
  });

  it('a full gradient through conv2d on wasm equals the cpu gradient and leaks no tensors', async () => {
    const x = seeded([2, 12, 10, 4], 13);
    const w = seeded([3, 3, 4, 6], 14);
    const grads = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const [dx, dw] = tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').square().sum();
        return tf.grads(f)([tf.tensor4d(x, [2, 12, 10, 4]), tf.tensor4d(w, [3, 3, 4, 6])]);
      });
      const out = { dx: { shape: dx!.shape, values: (await dx!.data()) as Float32Array }, dw: { shape: dw!.shape, values: (await dw!.data()) as Float32Array } };
      tf.dispose([dx!, dw!]);
      expect(tf.memory().numTensors).toBe(before);
      return out;
    };
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    expectClose(wasm.dx, cpu.dx);
    expectClose(wasm.dw, cpu.dw);
  });
});
