import type { Rng } from '../random.js';
import { AugmentInputError } from './augmentErrors.js';
import type { Plane } from './flip.js';
import type { SlicePair } from './sliceBatch.js';

/** A plane after a transform, which may change its shape (a crop, a quarter turn). */
export interface PlaneResult<T extends Plane> {
  readonly data: T;
  readonly height: number;
  readonly width: number;
}

/**
 * A configured random transform (MONAI's `Randomizable`): `draw` turns a generator into plain parameters, and
 * `image`/`mask` apply those parameters deterministically. `draw` may return undefined for "no change".
 */
export interface RandomizableTransform<P> {
  /** Also the key of the transform's own child generator, so adding a transform does not shift the others' draws. */
  readonly name: string;
  /** Chance per sample that the transform fires at all. */
  readonly probability: number;
  draw(rng: Rng, pair: SlicePair): P | undefined;
  image(image: Float32Array, height: number, width: number, params: P): PlaneResult<Float32Array>;
  /** The mask under the same draw; absent for intensity transforms, which leave the mask untouched. */
  readonly mask?: ((mask: Uint8Array, height: number, width: number, params: P) => PlaneResult<Uint8Array>) | undefined;
}

/**
 * The keyed `{image, mask}` form (MONAI's `RandFlipd` and friends): draws the parameters once per pair and applies
 * the same draw to the image and to the mask, so they stay aligned.
 */
export class PairedTransform<P> {
  constructor(readonly transform: RandomizableTransform<P>) {}

  get name(): string {
    return this.transform.name;
  }

  /** Fires with the transform's probability; returns the input pair itself when nothing changes. */
  apply(pair: SlicePair, rng: Rng): SlicePair {
    if (!(rng.next() < this.transform.probability)) return pair;
    const params = this.transform.draw(rng, pair);
    return params === undefined ? pair : this.applyDraw(pair, params);
  }

  applyDraw(pair: SlicePair, params: P): SlicePair {
    const { height, width } = pair;
    const image = this.transform.image(pair.image, height, width, params);
    if (!this.transform.mask) {
      if (image.height !== height || image.width !== width) throw new AugmentInputError(`${this.name}: an image-only transform changed the shape`);
      return { image: image.data, mask: pair.mask, height, width };
    }
    const mask = this.transform.mask(pair.mask, height, width, params);
    if (mask.height !== image.height || mask.width !== image.width) {
      throw new AugmentInputError(`${this.name}: image became ${image.height}x${image.width} but mask ${mask.height}x${mask.width}`);
    }
    return { image: image.data, mask: mask.data, height: image.height, width: image.width };
  }
}
