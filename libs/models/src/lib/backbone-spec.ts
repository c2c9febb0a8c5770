import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '@medseg/data';
import type { Preprocessing } from './preprocess.js';

/** How a backbone's official weights are stored: a TF.js layers `model.json` with shards, or one Keras HDF5 weights file. */
export type WeightsFormat = 'tfjs-layers' | 'keras-h5';

/** Where a backbone's official ImageNet weights live and how to check them. */
export interface WeightsSource {
  readonly format: WeightsFormat;
  /** Public URL of the file to download (`model.json`, whose shards sit beside it, or the `.h5`). */
  readonly url: string;
  /** The official file name (`model.json`, or the `.h5` name Keras downloads). */
  readonly fileName: string;
  /** Expected md5 of that file, where the publisher gives one (Keras applications do for their `.h5`). */
  readonly md5?: string;
  /** Folder names a local weights folder (`--weights-dir`, `../shared/weights`) may keep it under. */
  readonly folderNames: readonly string[];
}

export interface BuildEncoderOptions {
  /** Height and width of the input (divisible by the backbone's stride); null for a free size. */
  inputSize: number | null;
  /** How much of the backbone to build, in the entry's own units (see `BackboneSpec.depthOf`). */
  depth: number;
  /** Seeds the initialisers, so a random encoder (`--encoder-weights none`) is the same for the same seed. */
  rng: Rng;
}

/**
 * A pretrained encoder: everything medseg needs to build, feed and fill it. Nothing outside an entry names a
 * backbone's layers or architecture.
 */
export interface BackboneSpec {
  readonly name: string;
  /** One line for `medseg encoders` and `--help`. */
  readonly description: string;
  /** Output stride of the deepest skip: inputs must be divisible by it. */
  readonly stride: number;
  readonly weights: WeightsSource;
  readonly preprocessing: Preprocessing;
  /** Candidate layer names per skip, deepest (1/stride) first; within one, the first the built model has is used. */
  readonly skips: readonly (readonly string[])[];
  /** Depth of the whole backbone, in the entry's units; what a random encoder is built with. */
  readonly fullDepth: number;
  /**
   * The depth a weight file covers, from its `layer/weight` names (a cut-early file gives less), or a reason it
   * is not this backbone's file.
   */
  depthOf(weightNames: ReadonlySet<string>): number | string;
  /**
   * The whole backbone as a functional Keras-layers model (standard layer types, Keras applications layer names),
   * randomly initialised (He normal, identity batch norm); skips are picked from its layers.
   */
  build(options: BuildEncoderOptions): tf.LayersModel;
}
