import { open } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import type h5wasmModule from 'h5wasm/node';
import { ModelLoadError } from './errors.js';

type H5wasm = typeof h5wasmModule;
type H5Group = InstanceType<H5wasm['Group']>;

/**
 * h5wasm (the HDF5 library compiled to WebAssembly, several MB) is loaded on first use, through a specifier
 * bundlers do not follow: the browser page (libs/web) bundles libs/models but never reads .h5 files.
 */
let loading: Promise<H5wasm> | undefined;
function loadH5wasm(): Promise<H5wasm> {
  const specifier = 'h5wasm/node';
  loading ??= (import(specifier) as Promise<{ default: H5wasm }>).then(async (module) => {
    await module.default.ready;
    return module.default;
  });
  return loading;
}

function stringList(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return null;
}

/**
 * Reads a Keras HDF5 weights file (what `model.save_weights` and Keras applications' `*_notop.h5` hold: a
 * `layer_names` attribute, one group per layer with a `weight_names` attribute, one dataset per weight; or the
 * same under `model_weights` in a whole-model file) as `layer/weight` tensors (`block_1_expand/kernel`), the
 * names TF.js layers give their weights. Read with h5wasm (the HDF5 library compiled to WebAssembly).
 */
export async function readKerasH5Weights(path: string): Promise<tf.NamedTensorMap> {
  // HDF5 files start with this signature; checked first, because h5wasm does not fail on opening other files.
  const signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const head = Buffer.alloc(signature.length);
  try {
    const handle = await open(path, 'r');
    try {
      await handle.read(head, 0, head.length, 0);
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new ModelLoadError('cannot read the Keras weights file', { path, cause });
  }
  if (!head.equals(signature)) throw new ModelLoadError('not an HDF5 file (no HDF5 signature): a Keras .h5 weights file is needed', { path });
  const h5wasm = await loadH5wasm();
  let file: InstanceType<H5wasm['File']>;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (cause) {
    throw new ModelLoadError('cannot open as an HDF5 file', { path, cause });
  }
  const named: tf.NamedTensorMap = {};
  try {
    const nested = file.get('model_weights');
    const root = (nested instanceof h5wasm.Group ? nested : file) as H5Group;
    const layerNames = stringList(root.attrs['layer_names']?.value);
    if (layerNames === null) throw new ModelLoadError('not a Keras weights file (no layer_names attribute)', { path });
    for (const layer of layerNames) {
      const group = root.get(layer);
      if (!(group instanceof h5wasm.Group)) throw new ModelLoadError(`Keras weights file lists layer "${layer}" but holds no group for it`, { path });
      const weightNames = stringList(group.attrs['weight_names']?.value) ?? [];
      for (const weightName of weightNames) {
        const dataset = group.get(weightName);
        if (!(dataset instanceof h5wasm.Dataset)) throw new ModelLoadError(`Keras weights file lacks the dataset ${layer}/${weightName}`, { path });
        const value = dataset.value;
        const shape = dataset.shape ?? [];
        if (!(value instanceof Float32Array || value instanceof Float64Array)) {
          throw new ModelLoadError(`weight ${layer}/${weightName} is not floating point (${JSON.stringify(dataset.dtype)})`, { path });
        }
        // `Conv1/kernel:0` → `Conv1/kernel`; older files name weights without the layer prefix.
        const base = weightName.replace(/:\d+$/, '').split('/').pop()!;
        named[`${layer}/${base}`] = tf.tensor(value instanceof Float32Array ? value : Float32Array.from(value), shape, 'float32');
      }
    }
  } catch (error) {
    tf.dispose(named);
    if (error instanceof ModelLoadError) throw error;
    throw new ModelLoadError('cannot read the Keras HDF5 weights', { path, cause: error });
  } finally {
    file.close();
  }
  return named;
}
