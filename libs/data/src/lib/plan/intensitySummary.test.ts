import { describe, expect, it } from 'vitest';
import { INTENSITY_PERCENTILES, summarizeIntensities } from './intensitySummary.js';

describe('summarizeIntensities', () => {
  it('splits by the label map and gives closed-form statistics of each side', () => {
    // Foreground 1..101 (labels 1 and 2), background -1000 and 3000.
    const values = [-1000, ...Array.from({ length: 101 }, (_, i) => i + 1), 3000];
    const labels = [0, ...Array.from({ length: 101 }, (_, i) => 1 + (i % 2)), 0];
    const { foreground, background } = summarizeIntensities(Float32Array.from(values), Uint8Array.from(labels));
    expect(foreground.count).toBe(101);
    expect(foreground.mean).toBe(51);
    // Population variance of 1..n is (n^2 - 1) / 12.
    expect(foreground.std).toBeCloseTo(Math.sqrt((101 ** 2 - 1) / 12), 10);
    expect([foreground.min, foreground.max]).toEqual([1, 101]);
    // For 1..101 numpy's linear percentile at q is 1 + q (the virtual index is q * 100 / 100).
    expect(foreground.percentiles.map(([q]) => q)).toEqual([...INTENSITY_PERCENTILES]);
    for (const [q, value] of foreground.percentiles) expect(value).toBeCloseTo(1 + q, 9);
    expect(foreground.quantiles).toHaveLength(201);
    foreground.quantiles.forEach((value, k) => expect(value).toBeCloseTo(1 + k * 0.5, 9));
    expect(background).toMatchObject({ count: 2, mean: 1000, std: 2000, min: -1000, max: 3000 });
  });

  it('records an empty side with nulls, and rejects mismatched lengths', () => {
    const { foreground } = summarizeIntensities([1, 2, 3], [0, 0, 0]);
    expect(foreground).toEqual({ count: 0, mean: null, std: null, min: null, max: null, percentiles: [], quantiles: [] });
    expect(() => summarizeIntensities([1, 2], [0])).toThrow(/2 values but 1 labels/);
  });
});
