import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './errors.js';

/** Keras functional-model topology as TF.js layers models store it (`config.layers`, inputs, outputs). */
export interface KerasModelTopology {
  class_name: string;
  config: {
    name?: string;
    layers: KerasLayerJson[];
    input_layers: [string, number, number][];
    output_layers: [string, number, number][];
  };
  keras_version?: string;
  backend?: string;
}

export interface KerasLayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

export interface LayersModelFiles {
  topology: KerasModelTopology;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/**
 * Reads a TF.js layers model folder (`model.json` and its shards) with `fs`: tfjs-node's `file://` handler is
 * not available here, so the files go to `tf.io.fromMemory`. Old Keras exports keep the topology under
 * `model_config`; it is unwrapped so callers see one shape.
 */
export async function readLayersModelFiles(modelJsonPath: string): Promise<LayersModelFiles> {
  let json: {
    modelTopology?: Record<string, unknown>;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as typeof json;
  } catch (cause) {
    throw new ModelLoadError('cannot read a TF.js layers model.json', { path: modelJsonPath, cause });
  }
  const rawTopology = json.modelTopology;
  const manifest = json.weightsManifest;
  if (rawTopology === undefined || manifest === undefined) {
    throw new ModelLoadError('model.json lacks modelTopology or weightsManifest', { path: modelJsonPath });
  }
  const topology = (rawTopology['model_config'] ?? rawTopology) as KerasModelTopology;
  if (!Array.isArray(topology.config?.layers)) {
    throw new ModelLoadError('model.json topology is not a Keras functional model', { path: modelJsonPath });
  }
  const dir = dirname(modelJsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) {
      const path = join(dir, shard);
      try {
        buffers.push(await readFile(path));
      } catch (cause) {
        throw new ModelLoadError('missing weight shard', { path, cause });
      }
    }
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  return { topology, weightSpecs, weightData };
}

/** Builds a `tf.LayersModel` from files read by `readLayersModelFiles` (a topology possibly edited). */
export async function layersModelFromFiles(files: LayersModelFiles, options: { strict?: boolean } = {}): Promise<tf.LayersModel> {
  const handler = tf.io.fromMemory({
    modelTopology: files.topology as unknown as tf.io.ModelJSON['modelTopology'],
    weightSpecs: files.weightSpecs,
    weightData: files.weightData,
  });
  return tf.loadLayersModel(handler, { strict: options.strict ?? true });
}
