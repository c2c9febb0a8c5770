import type { Rng } from '../random.js';
import type { AugmentConfig, Range, TransformProbability } from './augmentConfig.js';
import { flip, type PlaneAxis } from './flip.js';
import { gaussianBlur } from './gaussianBlur.js';
import { addGaussianNoise, adjustContrast, adjustGamma, scaleIntensity } from './intensity.js';
import { simulateLowResolution } from './lowResolution.js';
import type { RandomizableTransform } from './pairedTransform.js';
import { rot90 } from './rot90.js';

/*
 * Configured transforms built from a config entry. Spatial ones here move pixels exactly (flip, quarter
 * turns) and so apply the same pure function to image and mask; intensity ones have no `mask` and leave it alone.
 */

const draw = (rng: Rng, [low, high]: Range): number => (low === high ? low : rng.uniform(low, high));

/** Each configured axis flips independently with the configured probability. */
export function randFlip(config: NonNullable<AugmentConfig['flip']>): RandomizableTransform<readonly PlaneAxis[]> {
  const both = <T extends Float32Array | Uint8Array>(plane: T, height: number, width: number, axes: readonly PlaneAxis[]) => ({
    data: axes.reduce((data, axis) => flip(data, height, width, axis), plane),
    height,
    width,
  });
  return {
    name: 'flip',
    probability: 1,
    draw: (rng) => {
      const axes = config.axes.filter(() => rng.next() < config.probability);
      return axes.length === 0 ? undefined : axes;
    },
    image: both,
    mask: both,
  };
}

/** k quarter turns, k in {1, 2, 3} on square slices; only k = 2 otherwise, so that a batch keeps its shape. */
export function randRotate90(config: TransformProbability): RandomizableTransform<number> {
  const turn = <T extends Float32Array | Uint8Array>(plane: T, height: number, width: number, k: number) => rot90(plane, height, width, k);
  return {
    name: 'rotate90',
    probability: config.probability,
    draw: (rng, pair) => (pair.height === pair.width ? rng.int(1, 4) : 2),
    image: turn,
    mask: turn,
  };
}

function intensity<P>(
  name: string,
  probability: number,
  drawParams: (rng: Rng) => P,
  apply: (image: Float32Array, height: number, width: number, params: P) => Float32Array,
): RandomizableTransform<P> {
  return {
    name,
    probability,
    draw: drawParams,
    image: (image, height, width, params) => ({ data: apply(image, height, width, params), height, width }),
  };
}

/** Standard deviation of a plane's values. */
function standardDeviation(image: Float32Array): number {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    sum += v;
    sumSq += v * v;
  }
  const n = Math.max(1, image.length);
  return Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2));
}

/**
 * Noise whose standard deviation is the drawn fraction of the slice's own: nnU-Net's absolute sigma on z-scored
 * images, made independent of the normalisation (ingest's default maps MR to [0, 1]).
 */
export function randNoise(config: NonNullable<AugmentConfig['noise']>): RandomizableTransform<{ std: number; noiseSeed: number }> {
  return {
    name: 'noise',
    probability: config.probability,
    draw: (rng, pair) => ({ std: draw(rng, config.std) * standardDeviation(pair.image), noiseSeed: rng.int(0, 2 ** 32) }),
    image: (image, height, width, { std, noiseSeed }) => ({ data: addGaussianNoise(image, std, noiseSeed), height, width }),
  };
}

export function randBlur(config: NonNullable<AugmentConfig['blur']>): RandomizableTransform<number> {
  return intensity('blur', config.probability, (rng) => draw(rng, config.sigma), (image, h, w, sigma) => gaussianBlur(image, h, w, sigma));
}

export function randBrightness(config: NonNullable<AugmentConfig['brightness']>): RandomizableTransform<number> {
  return intensity('brightness', config.probability, (rng) => draw(rng, config.range), (image, _h, _w, factor) => scaleIntensity(image, factor));
}

export function randContrast(config: NonNullable<AugmentConfig['contrast']>): RandomizableTransform<number> {
  return intensity('contrast', config.probability, (rng) => draw(rng, config.range), (image, _h, _w, factor) => adjustContrast(image, factor));
}

export function randLowResolution(config: NonNullable<AugmentConfig['lowResolution']>): RandomizableTransform<number> {
  return intensity(
    'lowResolution',
    config.probability,
    (rng) => draw(rng, config.zoom),
    (image, h, w, zoom) => simulateLowResolution(image, h, w, zoom),
  );
}

export function randGamma(config: NonNullable<AugmentConfig['gamma']>): RandomizableTransform<number> {
  return intensity('gamma', config.probability, (rng) => draw(rng, config.range), (image, _h, _w, gamma) => adjustGamma(image, gamma));
}
