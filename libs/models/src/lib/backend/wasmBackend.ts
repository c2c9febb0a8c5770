import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from './registerWasmTrainingKernels.js';

/** Folder holding tfjs-backend-wasm's .wasm binaries (plain, SIMD, threaded SIMD). */
export function wasmBinaryFolder(): string {
  const require = createRequire(import.meta.url);
  // The package has no `exports` map: its `main` is dist/tf-backend-wasm.node.js, beside the binaries.
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/**
 * Makes the wasm backend the active one, loading its binaries from node_modules by file path (Node has no
 * fetch of relative URLs), and registers the training kernels it lacks. The SIMD build is chosen by the
 * backend itself when the runtime validates SIMD (Node 20 does); the threaded build stays off under Node
 * (tfjs 4.22 disables it there: its pthread workers are Blob URLs that worker_threads cannot load).
 */
export async function activateWasmBackend(): Promise<{ simd: boolean }> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmBinaryFolder());
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  registerWasmTrainingKernels();
  return { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
}
