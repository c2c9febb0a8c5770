import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BackendUnavailableError } from './backendUnavailableError.js';
import { activateWebgpuBackend, softwareAdapterReason, vulkanLoaderProblem } from './webgpuBackend.js';

// Whether the optional packages are installed here, asked of Node's resolver independently of the code under test.
function installed(spec: string): boolean {
  try {
    createRequire(import.meta.url).resolve(spec);
    return true;
  } catch {
    return false;
  }
}
const dawnInstalled = installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu');

describe('softwareAdapterReason', () => {
  it('refuses fallback adapters and software renderers and accepts a GPU', () => {
    expect(softwareAdapterReason({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toMatch(/software renderer \(mesa llvmpipe/);
    expect(softwareAdapterReason({ vendor: 'google', device: 'SwiftShader Device (Subzero)' })).toMatch(/software renderer/);
    expect(softwareAdapterReason({ vendor: 'nvidia', isFallbackAdapter: true })).toMatch(/fallback \(software\) adapter \(nvidia\)/);
    expect(softwareAdapterReason({ vendor: 'x' }, true)).toMatch(/fallback/);
    expect(softwareAdapterReason({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })).toBeUndefined();
  });
});

describe('vulkanLoaderProblem', () => {
  it('agrees with the dynamic linker cache about libvulkan.so.1', () => {
    if (process.platform !== 'linux') return;
    // The loader cache, read by ldconfig, is the independent answer (LD_LIBRARY_PATH unset in the test env).
    const cache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
    const listed = /\blibvulkan\.so\.1\b/.test(cache);
    const problem = vulkanLoaderProblem();
    if (listed) expect(problem).toBeUndefined();
    else expect(problem).toMatch(/^no Vulkan loader: libvulkan\.so\.1 cannot be loaded/);
  });
});

describe('activateWebgpuBackend on Dawn without a GPU', () => {
  it("catches a device that does not compute (Dawn's null backend) and leaves no webgpu backend behind", async () => {
    const attempt = activateWebgpuBackend({ dawnFlags: ['backend=null'] });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    if (!dawnInstalled) {
      await expect(attempt).rejects.toThrow(/backend webgpu: cannot load webgpu .*npm install @tensorflow\/tfjs-backend-webgpu@4\.22\.0 webgpu/);
      return;
    }
    // The null backend validates and dispatches but never runs a shader: the sum of squares reads back wrong.
    await expect(attempt).rejects.toThrow(/the device started but computed 1²\+2²\+3²\+4² = .*, not 30/);
    expect(tf.findBackendFactory('webgpu')).toBeNull();
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
  });
});
