import * as tf from '@tensorflow/tfjs';
import type { Rng } from '@medseg/data';
import type { BackboneSpec } from './backbones.js';
import { ModelLoadError, ModelOptionsError } from './errors.js';
import { readLayersModelFiles } from './layers-model-files.js';
import { buildMobilenetV1 } from './mobilenet-v1.js';

export interface Encoder {
  /** Outputs the skip features deepest (1/32) first. */
  readonly model: tf.LayersModel;
  readonly skipNames: readonly string[];
  /** Channels of each skip feature, deepest first. */
  readonly skipChannels: readonly number[];
  /** Last MobileNet block present. */
  readonly depth: number;
}

export interface LoadEncoderOptions {
  backbone: BackboneSpec;
  /** A `model.json` to take weights from, or null for a random (seeded) encoder. */
  modelJson: string | null;
  /** Input height and width; null for a free size. */
  inputSize: number | null;
  rng: Rng;
  /** Depth when there is no weight file; defaults to the full 13 blocks. */
  depth?: number;
}

/**
 * Builds the backbone's encoder and, given a weight file, fills it by Keras layer name. Any Keras MobileNet v1
 * export works: with or without classifier head, fixed or free input size, cut early; the network is cut after
 * the deepest skip present and rebuilt for the requested input size.
 */
export async function loadEncoder(options: LoadEncoderOptions): Promise<Encoder> {
  const { backbone, modelJson, inputSize, rng } = options;
  let named: tf.NamedTensorMap | null = null;
  let depth = options.depth ?? 13;
  if (modelJson !== null) {
    const files = await readLayersModelFiles(modelJson);
    named = tf.io.decodeWeights(files.weightData, files.weightSpecs);
    depth = 0;
    for (let i = 13; i >= 1; i--) {
      if (named[`conv_pw_${i}/kernel`] !== undefined) {
        depth = i;
        break;
      }
    }
    const stem = named['conv1/kernel'];
    if (depth === 0 || stem === undefined) {
      tf.dispose(named);
      throw new ModelLoadError('not a Keras MobileNet v1 model (no conv1/kernel or conv_pw_N/kernel weights)', { path: modelJson });
    }
    const stemFilters = Math.trunc(32 * backbone.alpha);
    if (stem.shape[3] !== stemFilters) {
      tf.dispose(named);
      throw new ModelLoadError(
        `conv1 has ${stem.shape[3]} filters but ${backbone.name} (alpha ${backbone.alpha}) needs ${stemFilters}: wrong backbone for these weights`,
        { path: modelJson },
      );
    }
  }
  const skipNames = backbone.skips.map((candidates) => {
    const found = candidates.find((name) => {
      const match = /^conv_pw_(\d+)_relu$/.exec(name);
      return match !== null && Number(match[1]) <= depth;
    });
    if (found === undefined) throw new ModelOptionsError(`loadEncoder: none of ${candidates.join(', ')} exists at depth ${depth}`);
    return found;
  });
  const model = buildMobilenetV1({ alpha: backbone.alpha, depth, inputSize, outputs: skipNames, rng });
  if (named !== null) {
    try {
      assignByName(model, named, modelJson!);
    } finally {
      tf.dispose(named);
    }
  }
  const skipChannels = skipNames.map((name) => {
    const shape = model.getLayer(name).outputShape as number[];
    return shape[3]!;
  });
  return { model, skipNames, skipChannels, depth };
}

/** Copies `layer/weight` tensors into the model's variables; every model weight must be present with its shape. */
function assignByName(model: tf.LayersModel, named: tf.NamedTensorMap, path: string): void {
  for (const layer of model.layers) {
    const values: tf.Tensor[] = [];
    for (const weight of layer.weights) {
      const base = weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1);
      const key = `${layer.name}/${base}`;
      const value = named[key];
      if (value === undefined) throw new ModelLoadError(`weight ${key} is missing`, { path });
      if (!tf.util.arraysEqual(value.shape, weight.shape as number[])) {
        throw new ModelLoadError(`weight ${key} has shape [${value.shape}] but the encoder needs [${weight.shape}]`, { path });
      }
      values.push(value);
    }
    if (values.length > 0) layer.setWeights(values);
  }
}
