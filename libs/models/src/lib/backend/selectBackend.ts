import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError } from './backendUnavailableError.js';
import { registerCpuKernelFixes } from './registerCpuKernelFixes.js';
import { activateWasmBackend } from './wasmBackend.js';
import { activateWebgpuBackend } from './webgpuBackend.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export const backendChoices: readonly BackendChoice[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface SelectedBackend {
  /** The medseg name of the backend that now runs. */
  readonly name: BackendName;
  /** The tfjs backend behind it (`tf.getBackend()`). */
  readonly tfjsBackend: string;
  /** One line for the user: which backend runs and how. */
  readonly description: string;
  /** Set when the choice is slow enough that the user must hear about it. */
  readonly warning?: string;
  /** For `auto`: the faster backends that were tried first and why each could not run. */
  readonly skipped: readonly { readonly name: BackendName; readonly reason: string }[];
}

export const cpuBackendWarning =
  'WARNING: medseg is running on the pure-JavaScript "cpu" backend, about 50x slower than "wasm" for ' +
  'inference and too slow to train a U-Net. Use --backend wasm (or install @tensorflow/tfjs-node or ' +
  '@tensorflow/tfjs-node-gpu) unless you are debugging.';

// Specifiers held in variables: the native packages are optional dependencies, so TypeScript must not
// require their types, and a missing package must surface as a rejected import at run time.
const tfjsNodeGpu = '@tensorflow/tfjs-node-gpu';
const tfjsNode = '@tensorflow/tfjs-node';
const tfjsWebgpu = '@tensorflow/tfjs-backend-webgpu';

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

async function activateTensorflow(name: 'tensorflow-gpu' | 'tensorflow'): Promise<SelectedBackend> {
  const spec = name === 'tensorflow-gpu' ? tfjsNodeGpu : tfjsNode;
  try {
    // Importing the binding registers the native 'tensorflow' tfjs backend (both packages use that name).
    await import(spec);
  } catch (error) {
    throw new BackendUnavailableError(
      name,
      `cannot load ${spec} (${reasonOf(error)}). Install it with \`npm install ${spec}@4.22.0\` ` +
        '(it downloads libtensorflow at install time; see docs/backends.md for its CUDA and Node requirements).',
      { cause: error },
    );
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendUnavailableError(name, `${spec} loaded but its backend failed to start`);
  return { name, tfjsBackend: 'tensorflow', description: `${name} (${spec}, native libtensorflow)`, skipped: [] };
}

async function activateWebgpu(): Promise<SelectedBackend> {
  const adapter = await activateWebgpuBackend();
  const gpu = [adapter.description, adapter.vendor, adapter.architecture].filter((s) => s !== '').join(', ');
  return { name: 'webgpu', tfjsBackend: 'webgpu', description: `webgpu (${tfjsWebgpu} on Dawn, ${gpu === '' ? 'unnamed GPU' : gpu})`, skipped: [] };
}

async function activateWasm(): Promise<SelectedBackend> {
  let simd: boolean;
  try {
    ({ simd } = await activateWasmBackend());
  } catch (error) {
    throw new BackendUnavailableError('wasm', `the WebAssembly backend failed to start (${reasonOf(error)})`, { cause: error });
  }
  return {
    name: 'wasm',
    tfjsBackend: 'wasm',
    description: `wasm (@tensorflow/tfjs-backend-wasm, XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, 1 thread per process)`,
    skipped: [],
  };
}

async function activateCpu(): Promise<SelectedBackend> {
  if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('cpu', 'the pure-JavaScript backend failed to start');
  registerCpuKernelFixes();
  return { name: 'cpu', tfjsBackend: 'cpu', description: 'cpu (pure JavaScript)', warning: cpuBackendWarning, skipped: [] };
}

const activators: Record<BackendName, () => Promise<SelectedBackend>> = {
  'tensorflow-gpu': () => activateTensorflow('tensorflow-gpu'),
  tensorflow: () => activateTensorflow('tensorflow'),
  webgpu: activateWebgpu,
  wasm: activateWasm,
  cpu: activateCpu,
};

/** The order `auto` tries, fastest first. WebGPU comes after the native backends and before wasm, and starts only
 * on a real GPU: a software adapter (lavapipe, SwiftShader) is refused, being slower than wasm. */
export const autoOrder: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * Makes a tfjs backend the active one and says which runs. A named backend that cannot run throws a
 * BackendUnavailableError that says what to install; `auto` takes the first of `autoOrder` that starts, records
 * why the faster ones were skipped, and sets `warning` when it ends on the pure-JavaScript cpu backend.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<SelectedBackend> {
  if (!backendChoices.includes(choice)) {
    throw new BackendUnavailableError(String(choice), `unknown backend; choose one of ${backendChoices.join(', ')}`);
  }
  if (choice !== 'auto') return activators[choice]();
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of autoOrder) {
    try {
      const selected = await activators[name]();
      return { ...selected, skipped };
    } catch (error) {
      skipped.push({ name, reason: reasonOf(error) });
    }
  }
  throw new BackendUnavailableError('auto', `no backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
