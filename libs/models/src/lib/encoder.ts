import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@medseg/data';
import type { BackboneSpec, WeightsFormat } from './backbone-spec.js';
import { ModelLoadError, ModelOptionsError } from './errors.js';
import { readKerasH5Weights } from './keras-h5-weights.js';
import { readLayersModelFiles } from './layers-model-files.js';
import type { Preprocessing } from './preprocess.js';

export interface Encoder {
  /** Outputs the skip features deepest (1/stride) first. */
  readonly model: tf.LayersModel;
  readonly skipNames: readonly string[];
  /** Channels of each skip feature, deepest first. */
  readonly skipChannels: readonly number[];
  /** How much of the backbone is present, in its entry's units (MobileNet v1: the last block). */
  readonly depth: number;
  /** The backbone's pixel preprocessing. */
  readonly preprocessing: Preprocessing;
}

export interface LoadEncoderOptions {
  backbone: BackboneSpec;
  /** The weight file (in the backbone's format) to fill the encoder from, or null for a random (seeded) encoder. */
  weightsFile: string | null;
  /** Input height and width; null for a free size. */
  inputSize: number | null;
  rng: Rng;
  /** Depth when there is no weight file; defaults to the whole backbone. */
  depth?: number;
}

/** A weight file in `format` as `layer/weight` tensors. */
export async function readEncoderWeights(path: string, format: WeightsFormat): Promise<tf.NamedTensorMap> {
  if (format === 'keras-h5') return readKerasH5Weights(path);
  const files = await readLayersModelFiles(path);
  return tf.io.decodeWeights(files.weightData, files.weightSpecs);
}

/**
 * Builds the backbone's encoder through its registry entry and, given a weight file, fills it by Keras layer
 * name: with or without classifier head, fixed or free input size, cut early (the entry says how deep a file
 * goes); the network is cut after the deepest skip and built for the requested input size.
 */
export async function loadEncoder(options: LoadEncoderOptions): Promise<Encoder> {
  const { backbone, weightsFile, inputSize, rng } = options;
  if (inputSize !== null && (!Number.isInteger(inputSize) || inputSize % backbone.stride !== 0 || inputSize <= 0)) {
    throw new ModelOptionsError(`loadEncoder: ${backbone.name} needs an input size divisible by ${backbone.stride}, got ${inputSize}`);
  }
  let named: tf.NamedTensorMap | null = null;
  let depth = options.depth ?? backbone.fullDepth;
  if (weightsFile !== null) {
    named = await readEncoderWeights(weightsFile, backbone.weights.format);
    const found = backbone.depthOf(new Set(Object.keys(named)));
    if (typeof found === 'string') {
      tf.dispose(named);
      throw new ModelLoadError(`${found}: wrong backbone (${backbone.name}) for these weights?`, { path: weightsFile });
    }
    depth = found;
  }
  const full = backbone.build({ inputSize, depth, rng });
  const present = new Set(full.layers.map((layer) => layer.name));
  const skipNames = backbone.skips.map((candidates) => {
    const name = candidates.find((candidate) => present.has(candidate));
    if (name === undefined) throw new ModelOptionsError(`loadEncoder: ${backbone.name} has none of ${candidates.join(', ')} at depth ${depth}`);
    return name;
  });
  const model = tf.model({ inputs: full.inputs, outputs: skipNames.map((name) => full.getLayer(name).output as tf.SymbolicTensor), name: backbone.name });
  if (named !== null) {
    try {
      assignByName(model, named, weightsFile!, backbone.name);
    } finally {
      tf.dispose(named);
    }
  }
  const skipChannels = skipNames.map((name) => (model.getLayer(name).outputShape as number[])[3]!);
  return { model, skipNames, skipChannels, depth, preprocessing: backbone.preprocessing };
}

/** Copies `layer/weight` tensors into the model's variables; every model weight must be present with its shape. */
function assignByName(model: tf.LayersModel, named: tf.NamedTensorMap, path: string, backbone: string): void {
  for (const layer of model.layers) {
    const values: tf.Tensor[] = [];
    for (const weight of layer.weights) {
      const base = weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1);
      const key = `${layer.name}/${base}`;
      const value = named[key];
      if (value === undefined) throw new ModelLoadError(`weight ${key} is missing`, { path });
      if (!tf.util.arraysEqual(value.shape, weight.shape as number[])) {
        throw new ModelLoadError(`weight ${key} has shape [${value.shape}] but ${backbone} needs [${weight.shape}]: wrong backbone for these weights`, { path });
      }
      values.push(value);
    }
    if (values.length > 0) layer.setWeights(values);
  }
}
