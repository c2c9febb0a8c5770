import { createRng, type Rng } from '../random.js';
import { augmentPresets, isAugmentPreset, validateAugmentConfig, type AugmentConfig, type AugmentPreset } from './augmentConfig.js';
import { AugmentConfigError, AugmentInputError } from './augmentErrors.js';
import { PairedTransform, type RandomizableTransform } from './pairedTransform.js';
import {
  randBlur,
  randBrightness,
  randContrast,
  randFlip,
  randGamma,
  randLowResolution,
  randNoise,
  randRotate90,
} from './planeTransforms.js';
import { assertSliceBatch, slicePair, type SliceBatch, type SlicePair } from './sliceBatch.js';
import { randSpatial } from './spatialTransform.js';

export interface AugmentPipeline {
  /** The validated config (a preset resolved to its config). */
  readonly config: AugmentConfig;
  readonly seed: number;
  /** The keyed transforms in the order they run. */
  readonly transforms: readonly PairedTransform<unknown>[];
  /**
   * Augments every slice of a batch into a new batch (the input is never modified). Slice i draws from
   * `rng.child(i)`, and each transform from that generator's child named after it, so the result depends only on
   * `rng`'s seed and the config. Without `rng`, call n uses `createRng(seed).child(n)`.
   */
  apply(batch: SliceBatch, rng?: Rng): SliceBatch;
  /** One pair with its own generator; `apply` does this per slice. */
  applyPair(pair: SlicePair, rng: Rng): SlicePair;
}

/** Builds the keyed transforms of a config in the fixed order spatial, flip, rotate90, intensity (nnU-Net's). */
function buildTransforms(config: AugmentConfig): PairedTransform<unknown>[] {
  const transforms = [
    randSpatial(config),
    config.flip && randFlip(config.flip),
    config.rotate90 && randRotate90(config.rotate90),
    config.noise && randNoise(config.noise),
    config.blur && randBlur(config.blur),
    config.brightness && randBrightness(config.brightness),
    config.contrast && randContrast(config.contrast),
    config.lowResolution && randLowResolution(config.lowResolution),
    config.gamma && randGamma(config.gamma),
  ];
  // Each transform keeps its own parameter type; the pipeline only passes draws back to the transform that made them.
  return transforms.filter((t) => t !== undefined).map((t) => new PairedTransform(t as RandomizableTransform<unknown>));
}

/**
 * A seeded augmentation pipeline from a preset name (`none`, `light`, `default`, `heavy`) or a JSON-friendly
 * config. Throws AugmentConfigError on an unknown preset or an invalid config.
 */
export function createAugmentPipeline(presetOrConfig: AugmentPreset | AugmentConfig, options: { seed: number }): AugmentPipeline {
  let config: AugmentConfig;
  if (typeof presetOrConfig === 'string') {
    if (!isAugmentPreset(presetOrConfig)) {
      throw new AugmentConfigError(`createAugmentPipeline: unknown preset '${String(presetOrConfig)}' (presets: ${Object.keys(augmentPresets).join(', ')})`);
    }
    config = augmentPresets[presetOrConfig];
  } else {
    config = validateAugmentConfig(presetOrConfig);
  }
  if (!Number.isFinite(options.seed)) throw new AugmentConfigError(`createAugmentPipeline: options.seed must be a finite number, got ${options.seed}`);
  const transforms = buildTransforms(config);
  const root = createRng(options.seed);
  let calls = 0;

  const applyPair = (pair: SlicePair, rng: Rng): SlicePair =>
    transforms.reduce((current, transform) => transform.apply(current, rng.child(transform.name)), pair);

  const apply = (batch: SliceBatch, rng: Rng = root.child(calls++)): SliceBatch => {
    assertSliceBatch(batch, 'AugmentPipeline.apply');
    const outHeight = config.crop ? config.crop.size[0] : batch.height;
    const outWidth = config.crop ? config.crop.size[1] : batch.width;
    const size = outHeight * outWidth;
    const images = new Float32Array(batch.count * size);
    const masks = new Uint8Array(batch.count * size);
    for (let i = 0; i < batch.count; i++) {
      const pair = applyPair(slicePair(batch, i), rng.child(i));
      if (pair.height !== outHeight || pair.width !== outWidth) {
        throw new AugmentInputError(`AugmentPipeline.apply: slice ${i} came out ${pair.height}x${pair.width}, expected ${outHeight}x${outWidth}`);
      }
      images.set(pair.image, i * size);
      masks.set(pair.mask, i * size);
    }
    return { images, masks, count: batch.count, height: outHeight, width: outWidth };
  };

  return { config, seed: options.seed, transforms, apply, applyPair };
}
