import { describe, expect, it } from 'vitest';
import { createRng, hashString } from './random.js';

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 8 }, createRng(seed).next);
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('draws uniform values whose mean and variance match U(0,1) and normals matching N(0,1)', () => {
    const rng = createRng(7);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let nSum = 0;
    let nSumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
      const z = rng.normal();
      nSum += z;
      nSumSq += z * z;
    }
    // Standard errors: mean 1/sqrt(12 n) ≈ 0.00065; allow 5 of them.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.0033);
    expect(Math.abs(sumSq / n - sum * sum / n / n - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(nSum / n)).toBeLessThan(0.012);
    expect(Math.abs(nSumSq / n - 1)).toBeLessThan(0.02);
  });

  it('restores exactly from a saved state', () => {
    const rng = createRng(3);
    for (let i = 0; i < 10; i++) rng.next();
    const restored = createRng(rng.state());
    expect(Array.from({ length: 5 }, restored.next)).toEqual(Array.from({ length: 5 }, rng.next));
  });

  it('derives children that depend on the key and the seed, not on draws made before', () => {
    const parent = createRng(5);
    const before = parent.child('augment').next();
    parent.next();
    expect(parent.child('augment').next()).toBe(before);
    expect(parent.child('split').next()).not.toBe(before);
    expect(createRng(6).child('augment').next()).not.toBe(before);
  });

  it('hashes strings with FNV-1a (published test vector)', () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c.
    expect(hashString('a')).toBe(0xe40c292c);
  });
});
