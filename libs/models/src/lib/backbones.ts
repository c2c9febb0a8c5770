import { ModelOptionsError } from './errors.js';

/**
 * A pretrained encoder family: where its weights come from and how it wants its input. Skip layers are listed
 * deepest first; for each stride the first name present in a given model is used, so a model cut early (the
 * alpha 1.0 conversion stops at `conv_pw_12_relu`) still yields five features.
 */
export interface BackboneSpec {
  readonly name: string;
  /** Public URL of the official TF.js layers `model.json`; shards sit beside it. */
  readonly url: string;
  /**
   * Expected sha256 of `model.json`, when known. Unknown here (no network to fetch it from), so the cache
   * records the checksum of what it downloaded first and verifies every later use against it (trust on first use).
   */
  readonly modelJsonSha256?: string;
  /** Pixel scaling: RGB 0..255 → x / 127.5 - 1 for Keras MobileNet. */
  readonly preprocessing: 'tf';
  /** Candidate layer names per stride, deepest (1/32) first; within a stride, preferred name first. */
  readonly skips: readonly (readonly string[])[];
  /** Width multiplier of the architecture, used to build the encoder (also for `--encoder-weights none`). */
  readonly alpha: number;
}

const mobilenetV1Skips = [
  ['conv_pw_13_relu', 'conv_pw_12_relu'],
  ['conv_pw_11_relu'],
  ['conv_pw_5_relu'],
  ['conv_pw_3_relu'],
  ['conv_pw_1_relu'],
] as const;

export const backbones: Readonly<Record<string, BackboneSpec>> = {
  'mobilenet_v1_0.25': {
    name: 'mobilenet_v1_0.25',
    url: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json',
    preprocessing: 'tf',
    skips: mobilenetV1Skips,
    alpha: 0.25,
  },
  'mobilenet_v1_1.0': {
    name: 'mobilenet_v1_1.0',
    url: 'https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_1.0_224/model.json',
    preprocessing: 'tf',
    skips: mobilenetV1Skips,
    alpha: 1.0,
  },
};

export function getBackbone(name: string): BackboneSpec {
  const spec = backbones[name];
  if (spec === undefined) {
    throw new ModelOptionsError(`getBackbone: unknown backbone "${name}" (known: ${Object.keys(backbones).join(', ')})`);
  }
  return spec;
}
