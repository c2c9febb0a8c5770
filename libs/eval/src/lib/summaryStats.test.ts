import { createRng } from '@medseg/data';
import { describe, expect, it } from 'vitest';
import { runPython } from '../testing/python.js';
import { bootstrapMeanCi, summaryStats } from './summaryStats.js';

describe('summaryStats', () => {
  it('matches numpy (mean, std ddof=1, median, quartiles, min, max) and counts what it leaves out', () => {
    const rng = createRng(11);
    const values = Array.from({ length: 37 }, () => rng.uniform(0.3, 0.95));
    const withGaps = [...values, NaN, NaN, Infinity];
    const s = summaryStats(withGaps, { rng: createRng(1), resamples: 500 });
    const e = runPython<number[]>(
      'import numpy as np\na=np.array(inp)\nprint(json.dumps([a.mean(), a.std(ddof=1), np.median(a), np.percentile(a,25), np.percentile(a,75), a.min(), a.max()]))',
      values,
    );
    expect([s.mean, s.std, s.median, s.q1, s.q3, s.min, s.max].map((v, i) => Math.abs(v - e[i]!))).toSatisfy((d: number[]) => d.every((x) => x < 1e-12));
    expect([s.n, s.nan, s.infinite]).toEqual([37, 2, 1]);
  });

  it('gives a seeded bootstrap CI of the mean close to the normal-theory interval', () => {
    const rng = createRng(5);
    const values = Array.from({ length: 400 }, () => 10 + 2 * rng.normal());
    const s = summaryStats(values, { rng: createRng(99), resamples: 4000 });
    // Normal theory: mean +- 1.96 s / sqrt(n) (the bootstrap uses the plug-in sd, sqrt((n-1)/n) smaller).
    const halfWidth = (1.96 * s.std * Math.sqrt((s.n - 1) / s.n)) / Math.sqrt(s.n);
    expect(s.ci95[0]).toBeLessThan(s.mean);
    expect(s.ci95[1]).toBeGreaterThan(s.mean);
    expect((s.ci95[1] - s.ci95[0]) / 2 / halfWidth).toBeGreaterThan(0.9);
    expect((s.ci95[1] - s.ci95[0]) / 2 / halfWidth).toBeLessThan(1.1);
    expect(bootstrapMeanCi(values, { rng: createRng(99), resamples: 4000 })).toEqual(s.ci95);
    expect(bootstrapMeanCi(values, { rng: createRng(98), resamples: 4000 })).not.toEqual(s.ci95);
  });
});
