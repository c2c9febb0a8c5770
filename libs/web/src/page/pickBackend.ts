import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type PageBackend = 'webgpu' | 'webgl' | 'wasm';
export const pageBackends: readonly PageBackend[] = ['webgpu', 'webgl', 'wasm'];

/**
 * The first TF.js backend that starts, in the order WebGPU → WebGL → wasm (or the one asked for); the wasm
 * binaries come from the site itself. Returns the backend's name and what was tried before it.
 */
export async function pickBackend(base: URL, wanted?: PageBackend): Promise<{ name: PageBackend; tried: string[] }> {
  setWasmPaths(base.href);
  const tried: string[] = [];
  for (const name of wanted === undefined ? pageBackends : [wanted]) {
    if (name === 'webgpu' && !('gpu' in navigator)) {
      tried.push('webgpu: navigator.gpu is absent');
      continue;
    }
    try {
      if ((await tf.setBackend(name)) && tf.getBackend() === name) {
        await tf.ready();
        return { name, tried };
      }
      tried.push(`${name}: did not start`);
    } catch (error) {
      tried.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend started (${tried.join('; ')})`);
}
