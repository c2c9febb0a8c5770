import { describe, expect, it } from 'vitest';
import { affineFromParams, applyAffine, composeAffine, identityAffine, invertAffine, type Affine2d } from './affine2d.js';

const close = (a: readonly number[], b: readonly number[], tolerance = 1e-12) => a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(tolerance));

describe('affine2d', () => {
  const m: Affine2d = [1.2, -0.3, 4, 0.5, 0.9, -2];
  const n: Affine2d = [0.7, 0.1, -1, -0.2, 1.1, 3];

  it('composes as function composition and inverts to the identity', () => {
    close(applyAffine(composeAffine(m, n), 3, -5), applyAffine(m, ...applyAffine(n, 3, -5)));
    close(composeAffine(m, invertAffine(m)), identityAffine);
    close(composeAffine(invertAffine(m), m), identityAffine);
    // (m n)^-1 = n^-1 m^-1
    close(invertAffine(composeAffine(m, n)), composeAffine(invertAffine(n), invertAffine(m)));
    expect(() => invertAffine([1, 2, 0, 2, 4, 0])).toThrow(/singular/);
  });

  it('rotates and scales about the input centre, which lands on the output centre plus the translation', () => {
    const forward = affineFromParams({ rotation: Math.PI / 2, scale: [2, 3], shear: [0, 0], translation: [5, -1] }, [10, 20], [30, 40]);
    close(applyAffine(forward, 10, 20), [35, 39]);
    // A step of +1 in x is scaled by 2 then turned a quarter: R = [[0, -1], [1, 0]] sends (2, 0) to (0, 2).
    close(applyAffine(forward, 11, 20), [35, 41]);
    // A step of +1 in y: scaled by 3, then (0, 3) -> (-3, 0).
    close(applyAffine(forward, 10, 21), [32, 39]);
    // Shear adds shear[0] * y to x before rotating: with no rotation or scaling, (0, 1) -> (0.5, 1).
    const sheared = affineFromParams({ rotation: 0, scale: [1, 1], shear: [0.5, 0], translation: [0, 0] }, [0, 0], [0, 0]);
    close(applyAffine(sheared, 0, 1), [0.5, 1]);
  });
});
