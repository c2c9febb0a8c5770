import * as tf from '@tensorflow/tfjs';
import { createRng } from '@medseg/data';
import { getBackbone } from './backbones.js';
import { buildDecoder } from './decoder.js';
import { type Encoder, loadEncoder } from './encoder.js';
import { type ResolveEncoderWeightsOptions, resolveEncoderWeights } from './encoder-weights.js';
import { ModelOptionsError } from './errors.js';
import { inferenceForward } from './inference-graph.js';
import { greyToEncoderChannel } from './preprocess.js';
import { inputChannels, validateContextSlices } from './slice-context.js';

/** segmentation_models' U-Net decoder widths (Yakubovskiy), deepest stage first. */
export const segmentationModelsDecoderFilters: readonly number[] = [256, 128, 64, 32, 16];
/**
 * The default: with a MobileNet v1 a0.25 encoder the decoder holds nearly all the FLOPs, and on the CPU these
 * widths cost a third of segmentation_models' per training step (640 vs 1983 CPU ms, 128x128, batch 8, wasm)
 * while giving the best STS Dice measured (0.685 per patient at 128 px, 8 epochs; README).
 * `--decoder-filters 256-128-64-32-16` keeps segmentation_models' decoder.
 */
export const defaultDecoderFilters: readonly number[] = [64, 32, 16, 16, 8];

/** Everything needed to rebuild a U-Net; stored in checkpoints. */
export interface UnetConfig {
  readonly backbone: string;
  /** `imagenet`, `none` or a folder, as given. */
  readonly encoderWeights: string;
  readonly decoderFilters: readonly number[];
  /** Foreground classes: 1 gives a sigmoid head, more a softmax over background + classes. */
  readonly classes: number;
  /** Height and width of the network input; a multiple of the backbone's stride (32). */
  readonly inputSize: number;
  /** Intensities mapped to 0..255 before the ImageNet scaling. */
  readonly intensityRange: readonly [number, number];
  /** Seeds the decoder's (and a random encoder's) initialisation. */
  readonly seed: number;
  /** When set, encoder layers from this one on train too (their BN stays in inference mode). */
  readonly unfreezeFrom?: string;
  /** Neighbouring slices on either side given as extra input channels (2.5D, see volumeSliceStack); 0 when absent. */
  readonly contextSlices?: number;
}

/** Channels of the network's input: the slice itself plus its context slices. */
export function unetInputChannels(config: UnetConfig): number {
  return inputChannels(config.contextSlices ?? 0);
}

export interface BuildUnetOptions extends Partial<Omit<UnetConfig, 'backbone' | 'encoderWeights'>> {
  backbone: string;
  encoderWeights: string;
  /** Where `imagenet` weights are cached, and the environment to find the default cache from. */
  weightsOptions?: ResolveEncoderWeightsOptions;
  /** Skip loading encoder weights (they come from a checkpoint right after). */
  encoderDepth?: number;
}

export interface Unet {
  readonly config: UnetConfig;
  readonly encoder: Encoder;
  readonly decoder: tf.LayersModel;
  /**
   * Encoder features of preprocessed three-channel input, deepest first, always in inference mode (BN moving
   * statistics), through the layers themselves: differentiable, for unfrozen encoder layers.
   */
  encode(input: tf.Tensor4D): tf.Tensor4D[];
  /**
   * The same features from raw grey slices [n, size, size] (or, with context slices, [n, size, size, 3]), with
   * BN folded into the convolutions and a lone grey channel never copied three times (see inferenceForward):
   * the fast path for inference and a frozen encoder.
   */
  features(slices: tf.Tensor3D | tf.Tensor4D): tf.Tensor4D[];
  /** Raw slices, as `features` takes them → probabilities [n, size, size, channels], inference mode throughout. */
  predict(slices: tf.Tensor3D | tf.Tensor4D): tf.Tensor4D;
  /** Variables the optimiser updates: the decoder's, plus the unfrozen encoder layers' (never BN statistics). */
  decoderVariables(): tf.Variable[];
  encoderTrainableVariables(): tf.Variable[];
  dispose(): void;
}

/** The `tf.Variable` behind a layer weight (what optimisers and `variableGrads` take). */
export function variableOf(weight: tf.LayerVariable): tf.Variable {
  return (weight as unknown as { val: tf.Variable }).val;
}

function validate(options: BuildUnetOptions): UnetConfig {
  const inputSize = options.inputSize ?? 128;
  const classes = options.classes ?? 1;
  const decoderFilters = options.decoderFilters ?? defaultDecoderFilters;
  const intensityRange = options.intensityRange ?? [0, 255];
  const seed = options.seed ?? 0;
  const { stride } = getBackbone(options.backbone);
  if (!Number.isInteger(inputSize) || inputSize < stride || inputSize % stride !== 0) {
    throw new ModelOptionsError(`buildUnet: inputSize must be a positive multiple of ${stride} for ${options.backbone}, got ${inputSize}`);
  }
  if (!Number.isInteger(classes) || classes < 1) throw new ModelOptionsError(`buildUnet: classes must be an integer >= 1, got ${classes}`);
  if (decoderFilters.length !== 5 || !decoderFilters.every((f) => Number.isInteger(f) && f > 0)) {
    throw new ModelOptionsError(`buildUnet: decoderFilters must be 5 positive integers (deepest first), got [${decoderFilters.join(', ')}]`);
  }
  if (!(intensityRange[1] > intensityRange[0])) {
    throw new ModelOptionsError(`buildUnet: intensityRange must be increasing, got [${intensityRange.join(', ')}]`);
  }
  if (!Number.isInteger(seed)) throw new ModelOptionsError(`buildUnet: seed must be an integer, got ${seed}`);
  if (options.contextSlices !== undefined) validateContextSlices(options.contextSlices);
  if (typeof options.encoderWeights !== 'string' || options.encoderWeights === '') {
    throw new ModelOptionsError('buildUnet: encoderWeights must be "imagenet", "none" or a folder');
  }
  return {
    backbone: options.backbone,
    encoderWeights: options.encoderWeights,
    decoderFilters: [...decoderFilters],
    classes,
    inputSize,
    intensityRange: [intensityRange[0], intensityRange[1]],
    seed,
    ...(options.unfreezeFrom === undefined ? {} : { unfreezeFrom: options.unfreezeFrom }),
    // Left out at 0 so that one-channel configs (and their checkpoints) read exactly as before 2.5D existed.
    ...((options.contextSlices ?? 0) === 0 ? {} : { contextSlices: options.contextSlices }),
  };
}

/**
 * A U-Net whose encoder is an ImageNet backbone kept frozen for real: it runs as its own forward pass in
 * inference mode, because TF.js 4.22's BatchNormalization ignores `trainable = false` and, called with
 * `training: true`, normalises with batch statistics and overwrites its moving mean and variance. Only the
 * decoder's variables (and, with `unfreezeFrom`, the top encoder layers' kernels, gammas and betas) train.
 */
export async function buildUnet(options: BuildUnetOptions): Promise<Unet> {
  const config = validate(options);
  const backbone = getBackbone(config.backbone);
  const rng = createRng(config.seed);
  const weightsFile = options.encoderDepth !== undefined ? null : await resolveEncoderWeights(backbone, config.encoderWeights, options.weightsOptions);
  const encoder = await loadEncoder({
    backbone,
    weightsFile,
    inputSize: config.inputSize,
    rng: rng.child('encoder'),
    ...(options.encoderDepth === undefined ? {} : { depth: options.encoderDepth }),
  });
  const decoder = buildDecoder({
    skipChannels: encoder.skipChannels,
    filters: config.decoderFilters,
    classes: config.classes,
    inputSize: config.inputSize,
    rng: rng.child('decoder'),
  });
  let from = encoder.model.layers.length;
  if (config.unfreezeFrom !== undefined) {
    from = encoder.model.layers.findIndex((layer) => layer.name === config.unfreezeFrom);
    if (from < 0) throw new ModelOptionsError(`buildUnet: unfreezeFrom "${config.unfreezeFrom}" is not an encoder layer`);
  }
  // Layers below the unfreeze point are marked untrainable too, so no optimiser can pick them up by accident.
  encoder.model.layers.forEach((layer, i) => (layer.trainable = i >= from));
  const unfrozen = encoder.model.layers.slice(from).flatMap((layer) => layer.trainableWeights).map(variableOf);
  const unet: Unet = {
    config,
    encoder,
    decoder,
    encode: (input) => encoder.model.apply(input, { training: false }) as tf.Tensor4D[],
    features: (slices) =>
      tf.tidy(() => {
        const channels = slices.rank === 4 ? slices.shape[3]! : 1;
        if (channels !== unetInputChannels(config)) throw new ModelOptionsError(`Unet.features: slices have ${channels} channel(s), the network takes ${unetInputChannels(config)}`);
        const { input, repeated } = greyToEncoderChannel(slices, config.intensityRange, encoder.preprocessing);
        return inferenceForward(encoder.model, [input], repeated === null ? {} : { repeatedInputChannels: repeated }) as tf.Tensor4D[];
      }),
    predict: (slices) => tf.tidy(() => inferenceForward(decoder, unet.features(slices))[0] as tf.Tensor4D),
    decoderVariables: () => decoder.trainableWeights.map(variableOf),
    encoderTrainableVariables: () => unfrozen,
    dispose: () => {
      encoder.model.dispose();
      decoder.dispose();
    },
  };
  return unet;
}
