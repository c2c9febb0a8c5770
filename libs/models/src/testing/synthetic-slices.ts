import { createRng } from '@medseg/data';
import type { SliceSet } from '../lib/slice-set.js';

/**
 * Slices holding one bright disc each (the mask) on a noisy background, `perCase` slices per case: enough
 * signal for a tiny U-Net to learn in a few steps, generated from a seed.
 */
export function syntheticSliceSet(options: { cases: number; perCase: number; size: number; seed: number }): SliceSet {
  const { cases, perCase, size, seed } = options;
  const rng = createRng(seed);
  const count = cases * perCase;
  const plane = size * size;
  const images = new Float32Array(count * plane);
  const masks = new Uint8Array(count * plane);
  const caseIndex = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    caseIndex[s] = Math.floor(s / perCase);
    const cx = rng.uniform(size * 0.3, size * 0.7);
    const cy = rng.uniform(size * 0.3, size * 0.7);
    const r = rng.uniform(size * 0.1, size * 0.25);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
        masks[s * plane + y * size + x] = inside ? 1 : 0;
        images[s * plane + y * size + x] = (inside ? 0.7 : 0.3) + 0.1 * rng.normal();
      }
    }
  }
  return { images, masks, count, height: size, width: size, channels: 1, caseIndex, caseIds: Array.from({ length: cases }, (_, i) => `case${i}`) };
}
