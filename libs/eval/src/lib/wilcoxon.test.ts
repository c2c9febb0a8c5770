import { createRng } from '@medseg/data';
import { describe, expect, it } from 'vitest';
import { runPython } from '../testing/python.js';
import { normalSf } from './normal.js';
import { wilcoxonSignedRank } from './wilcoxon.js';

const scipyWilcoxon = `
import numpy as np, warnings
from scipy.stats import wilcoxon
warnings.simplefilter('ignore')
out = []
for c in inp:
    r = wilcoxon(np.array(c['x']), np.array(c['y']), method=c['method'])
    out.append([float(r.statistic), float(r.pvalue)])
print(json.dumps(out))
`;

function pairs(n: number, seed: number, shift: number, round: number): { x: number[]; y: number[] } {
  const rng = createRng(seed);
  const x = Array.from({ length: n }, () => Math.round(rng.uniform(0.4, 0.9) * round) / round);
  const y = x.map((v) => Math.round((v + shift + 0.05 * rng.normal()) * round) / round);
  return { x, y };
}

describe('wilcoxonSignedRank', () => {
  it('matches scipy.stats.wilcoxon: normal approximation with ties and zeros, exact without', () => {
    const cases = [
      { ...pairs(36, 1, 0.01, 100), method: 'approx' as const }, // coarse rounding: ties and zero differences
      { ...pairs(60, 2, -0.02, 1000), method: 'approx' as const },
      { ...pairs(12, 3, 0.03, 1e9), method: 'approx' as const },
      { ...pairs(36, 4, 0.005, 1e9), method: 'exact' as const },
      { ...pairs(9, 5, 0.0, 1e9), method: 'exact' as const },
      { ...pairs(20, 6, 0.01, 1e9), method: 'auto' as const },
      { ...pairs(80, 7, 0.01, 1e9), method: 'auto' as const },
    ];
    const expected = runPython<[number, number][]>(scipyWilcoxon, cases);
    cases.forEach((c, i) => {
      const r = wilcoxonSignedRank(c.x, c.y, c.method);
      expect(r.statistic, `case ${i}`).toBeCloseTo(expected[i]![0], 9);
      expect(Math.abs(r.pValue - expected[i]![1]) / expected[i]![1], `case ${i} p=${r.pValue}`).toBeLessThan(1e-9);
    });
    const first = wilcoxonSignedRank(cases[0]!.x, cases[0]!.y, 'approx');
    expect(first.zeros).toBeGreaterThan(0);
  });

  it('computes the normal tail like scipy.stats.norm.sf, far into the tail', () => {
    const zs = [-3, -0.5, 0, 0.1, 1, 1.959963984540054, 2.5, 2.9, 3.1, 5, 8, 12, 20];
    const expected = runPython<number[]>('from scipy.stats import norm\nprint(json.dumps([float(norm.sf(z)) for z in inp]))', zs);
    zs.forEach((z, i) => expect(Math.abs(normalSf(z) - expected[i]!) / expected[i]!, `z=${z}`).toBeLessThan(1e-12));
  });
});
