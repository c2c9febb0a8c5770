import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from './backendUnavailableError.js';
import { selectBackend, type BackendChoice } from './selectBackend.js';

// Whether an optional package is installed here, asked of Node's resolver independently of selectBackend.
function installed(spec: string): boolean {
  try {
    createRequire(import.meta.url).resolve(spec);
    return true;
  } catch {
    return false;
  }
}

// What a machine without a usable GPU lacks, as the webgpu backend names it: the packages, the Vulkan loader, a
// Vulkan driver offering an adapter, or a real GPU behind the adapter.
const webgpuMissing =
  /^backend webgpu: (cannot load (webgpu|@tensorflow\/tfjs-backend-webgpu)|no Vulkan loader: libvulkan\.so\.1|Dawn found no GPU adapter|Dawn's only adapter is a (fallback|software))/;

describe('selectBackend', () => {
  it('auto skips the native backends that cannot load here and runs wasm with its training kernels', async () => {
    const selected = await selectBackend('auto');
    const nativeInstalled = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');
    if (nativeInstalled) {
      expect(selected.tfjsBackend).toBe('tensorflow');
      return;
    }
    // On a machine with a real GPU (none in CI) auto stops at webgpu, which has passed its self-check.
    if (selected.name === 'webgpu') {
      expect(selected.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
      return;
    }
    expect(selected.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(selected.warning).toBeUndefined();
    expect(selected.description).toMatch(/^wasm .*SIMD/);
    // No GPU here: auto tried webgpu after the native backends and before wasm, and says what was missing.
    expect(selected.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu']);
    expect(selected.skipped[2]!.reason).toMatch(webgpuMissing);
    // The backend really computes, including the filter gradient that stock tfjs-backend-wasm lacks.
    const grad = tf.tidy(() => {
      const x = tf.ones([1, 4, 4, 1]);
      return tf.grad((w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid').sum())(tf.ones([3, 3, 1, 1]));
    });
    // Each tap of a 3x3 valid convolution over a 4x4 input of ones sees (4-3+1)^2 = 4 ones.
    expect(Array.from(await grad.data())).toEqual(new Array(9).fill(4));
    grad.dispose();
  });

  it('a named native backend that is not installed fails with what to install', async () => {
    for (const [choice, spec] of [
      ['tensorflow', '@tensorflow/tfjs-node'],
      ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ] as const) {
      if (installed(spec)) continue;
      const attempt = selectBackend(choice);
      await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
      await expect(attempt).rejects.toThrow(`npm install ${spec}@4.22.0`);
    }
  });

  it('webgpu fails with a clear message on a machine without a usable GPU', async () => {
    // No GPU on these machines: either the packages are absent or Dawn finds no adapter. The message says which.
    const attempt = selectBackend('webgpu');
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(webgpuMissing);
  });

  it('cpu runs with a loud warning', async () => {
    const selected = await selectBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(selected.warning).toMatch(/^WARNING: .*pure-JavaScript "cpu" backend/);
  });

  it('rejects an unknown backend name, listing the choices', async () => {
    await expect(selectBackend('gpu' as BackendChoice)).rejects.toThrow(/unknown backend; choose one of auto, tensorflow-gpu/);
  });
});
