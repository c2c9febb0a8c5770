import type { Rng } from '../random.js';
import { affineFromParams, invertAffine, type Affine2d } from './affine2d.js';
import type { AugmentConfig, Range } from './augmentConfig.js';
import { drawElasticControls, elasticField } from './elasticField.js';
import type { RandomizableTransform } from './pairedTransform.js';
import { warp, type DisplacementField, type Interpolation, type Padding } from './warp.js';

/** One spatial draw: everything the single resampling pass of a sample needs. */
export interface SpatialDraw {
  /** Input pixel -> output pixel (before the elastic field): what a point of the input, e.g. a centroid, becomes. */
  readonly forward: Affine2d;
  readonly inverse: Affine2d;
  readonly field: DisplacementField | undefined;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly interpolation: Exclude<Interpolation, 'nearest'>;
  readonly padding: Padding;
}

const draw = (rng: Rng, [low, high]: Range): number => (low === high ? low : rng.uniform(low, high));

/**
 * Top-left corner of a `cropHeight` x `cropWidth` window: with `foregroundProbability` centred on a uniformly drawn
 * non-zero mask pixel (kept inside the slice where it fits), else uniformly placed. Windows larger than the slice
 * stick out on the far side and are padded.
 */
export function drawCropOrigin(
  rng: Rng,
  mask: Uint8Array,
  height: number,
  width: number,
  cropHeight: number,
  cropWidth: number,
  foregroundProbability: number,
): [number, number] {
  const lowX = Math.min(0, width - cropWidth);
  const highX = Math.max(0, width - cropWidth);
  const lowY = Math.min(0, height - cropHeight);
  const highY = Math.max(0, height - cropHeight);
  if (rng.next() < foregroundProbability) {
    let count = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) count++;
    if (count > 0) {
      let k = rng.int(0, count);
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] !== 0 && k-- === 0) {
          const x = i % width;
          const y = (i - x) / width;
          const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
          return [clamp(x - Math.floor(cropWidth / 2), lowX, highX), clamp(y - Math.floor(cropHeight / 2), lowY, highY)];
        }
      }
    }
  }
  return [rng.int(lowX, highX + 1), rng.int(lowY, highY + 1)];
}

/**
 * Crop, rotation, scaling, translation, shear and elastic deformation as one transform: each part fires with its
 * own probability, and whatever fired is resampled in a single pass (image bilinear or bicubic, mask nearest).
 * Undefined when the config has no spatial part.
 */
export function randSpatial(config: AugmentConfig): RandomizableTransform<SpatialDraw> | undefined {
  const { rotate, scale, translate, shear, elastic, crop } = config;
  if (!rotate && !scale && !translate && !shear && !elastic && !crop) return undefined;
  const interpolation = config.interpolation ?? 'bilinear';
  const padding = config.padding ?? 'zeros';
  const fires = (part: { probability: number } | undefined, rng: Rng): boolean => part !== undefined && rng.next() < part.probability;

  return {
    name: 'spatial',
    probability: 1,
    draw: (rng, pair) => {
      const { height, width } = pair;
      let outHeight = height;
      let outWidth = width;
      let centerIn: [number, number] = [(width - 1) / 2, (height - 1) / 2];
      if (crop) {
        [outHeight, outWidth] = crop.size;
        const [x0, y0] = drawCropOrigin(rng, pair.mask, height, width, outHeight, outWidth, crop.foregroundProbability);
        centerIn = [x0 + (outWidth - 1) / 2, y0 + (outHeight - 1) / 2];
      }
      const centerOut: [number, number] = [(outWidth - 1) / 2, (outHeight - 1) / 2];
      let changed = crop !== undefined;
      let rotation = 0;
      let scaleXY: [number, number] = [1, 1];
      let translation: [number, number] = [0, 0];
      let shearXY: [number, number] = [0, 0];
      let field: DisplacementField | undefined;
      if (fires(rotate, rng)) {
        rotation = (draw(rng, rotate!.degrees) * Math.PI) / 180;
        changed = true;
      }
      if (fires(scale, rng)) {
        const sx = draw(rng, scale!.range);
        scaleXY = [sx, scale!.isotropic === false ? draw(rng, scale!.range) : sx];
        changed = true;
      }
      if (fires(translate, rng)) {
        const [fx, fy] = translate!.fraction;
        translation = [draw(rng, [-fx, fx]) * width, draw(rng, [-fy, fy]) * height];
        changed = true;
      }
      if (fires(shear, rng)) {
        shearXY = [draw(rng, shear!.range), draw(rng, shear!.range)];
        changed = true;
      }
      if (fires(elastic, rng)) {
        const magnitude = draw(rng, elastic!.magnitude);
        field = elasticField(drawElasticControls(rng, outHeight, outWidth, elastic!.spacing, magnitude), outHeight, outWidth);
        changed = true;
      }
      if (!changed) return undefined;
      const forward = affineFromParams({ rotation, scale: scaleXY, shear: shearXY, translation }, centerIn, centerOut);
      return { forward, inverse: invertAffine(forward), field, outHeight, outWidth, interpolation, padding };
    },
    image: (image, height, width, d) => ({
      data: warp(image, height, width, { ...d, interpolation: d.interpolation }),
      height: d.outHeight,
      width: d.outWidth,
    }),
    mask: (mask, height, width, d) => ({
      data: warp(mask, height, width, { ...d, interpolation: 'nearest' }),
      height: d.outHeight,
      width: d.outWidth,
    }),
  };
}
