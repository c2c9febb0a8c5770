import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { applyAffine } from './affine2d.js';
import { PairedTransform } from './pairedTransform.js';
import { drawCropOrigin, randSpatial } from './spatialTransform.js';

describe('drawCropOrigin', () => {
  // A 40 x 60 mask with one foreground pixel at (x 50, y 30).
  const [height, width] = [40, 60];
  const mask = new Uint8Array(height * width);
  mask[30 * width + 50] = 1;

  it('always centres on foreground with probability 1, clamped so the window stays inside the slice', () => {
    for (let seed = 0; seed < 20; seed++) {
      const [x0, y0] = drawCropOrigin(createRng(seed), mask, height, width, 16, 16, 1);
      // Centred would be (42, 22); x0 may go up to 60 - 16 = 44, so the centre holds.
      expect([x0, y0]).toEqual([42, 22]);
    }
    // Near the edge the window is pushed back inside, still holding the pixel.
    const [x0, y0] = drawCropOrigin(createRng(1), mask, height, width, 30, 30, 1);
    expect([x0, y0]).toEqual([30, 10]);
  });

  it('places the window uniformly with probability 0, and lets a window larger than the slice stick out (padding)', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 400; seed++) {
      const [x0, y0] = drawCropOrigin(createRng(seed), mask, height, width, 16, 16, 0);
      expect(x0 >= 0 && x0 <= 44 && y0 >= 0 && y0 <= 24).toBe(true);
      seen.add(x0);
    }
    // 45 possible columns, 400 draws: all but a handful appear.
    expect(seen.size).toBeGreaterThan(40);
    const [bx, by] = drawCropOrigin(createRng(3), mask, height, width, 64, 80, 0);
    expect(bx >= -20 && bx <= 0 && by >= -24 && by <= 0).toBe(true);
  });
});

describe('randSpatial', () => {
  it('crops larger than the slice by padding with background and zero, the slice copied exactly inside', () => {
    const [height, width] = [10, 12];
    const image = Float32Array.from({ length: height * width }, (_, i) => i + 1);
    const mask = Uint8Array.from({ length: height * width }, (_, i) => (i % 7 === 0 ? 2 : 0));
    const spatial = randSpatial({ crop: { size: [16, 20], foregroundProbability: 0 } })!;
    const draw = spatial.draw(createRng(4), { image, mask, height, width })!;
    const out = new PairedTransform(spatial).applyDraw({ image, mask, height, width }, draw);
    expect([out.height, out.width]).toEqual([16, 20]);
    // The forward map is a pure integer shift: where input pixel (0, 0) lands.
    const [ox, oy] = applyAffine(draw.forward, 0, 0);
    expect(Number.isInteger(ox) && Number.isInteger(oy)).toBe(true);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 20; x++) {
        const sx = x - ox;
        const sy = y - oy;
        const inside = sx >= 0 && sx < width && sy >= 0 && sy < height;
        expect(out.image[y * 20 + x]).toBe(inside ? image[sy * width + sx] : 0);
        expect(out.mask[y * 20 + x]).toBe(inside ? mask[sy * width + sx] : 0);
      }
    }
  });

  it('does nothing (no draw) when no part fires, and is absent without spatial keys', () => {
    expect(randSpatial({ gamma: { probability: 1, range: [1, 2] } })).toBeUndefined();
    const spatial = randSpatial({ rotate: { probability: 0, degrees: [-10, 10] } })!;
    expect(spatial.draw(createRng(1), { image: new Float32Array(4), mask: new Uint8Array(4), height: 2, width: 2 })).toBeUndefined();
  });
});
