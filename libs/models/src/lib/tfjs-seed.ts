import type { Rng } from '@medseg/data';

/**
 * Seeds for tfjs initialisers drawn from `rng`. tfjs takes a seed of 0 as no seed at all (Math.random), so a
 * draw of 0 is mapped to another fixed value; every other draw is used as it is.
 */
export function tfjsSeeds(rng: Rng): () => number {
  return () => rng.int(0, 2 ** 31 - 1) || 2 ** 31 - 1;
}
