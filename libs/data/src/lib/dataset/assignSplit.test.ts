import { describe, expect, it } from 'vitest';
import { assignSplit } from './assignSplit.js';

const patients = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => `PAT-${String(i + offset).padStart(5, '0')}`);

describe('assignSplit', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const ids = patients(200);
    const a = ids.map((id) => assignSplit(id, { seed: 1, val: 0.2, test: 0.1 }));
    const b = ids.map((id) => assignSplit(id, { seed: 1, val: 0.2, test: 0.1 }));
    const c = ids.map((id) => assignSplit(id, { seed: 2, val: 0.2, test: 0.1 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps every existing patient in its split when patients are added', () => {
    const before = new Map(patients(50).map((id) => [id, assignSplit(id, { seed: 3, val: 0.3, test: 0 })]));
    const after = new Map(patients(500).map((id) => [id, assignSplit(id, { seed: 3, val: 0.3, test: 0 })]));
    for (const [id, split] of before) expect(after.get(id)).toBe(split);
  });

  it('approaches the requested fractions (binomial bounds over 20,000 patients)', () => {
    const counts = { train: 0, val: 0, test: 0 };
    for (const id of patients(20_000)) counts[assignSplit(id, { seed: 9, val: 0.2, test: 0.1 })]++;
    // Binomial standard deviation for p = 0.2 is 0.0028; allow five.
    expect(Math.abs(counts.val / 20_000 - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(counts.test / 20_000 - 0.1)).toBeLessThan(0.011);
  });

  it('honours patients forced into a split by pattern, and rejects impossible fractions', () => {
    const options = { seed: 0, val: 0, test: 0, valPatients: 'STS_029,STS_03*', testPatients: 'X?' };
    expect(assignSplit('STS_029', options)).toBe('val');
    expect(assignSplit('sts_031', options)).toBe('val');
    expect(assignSplit('STS_028', options)).toBe('train');
    expect(assignSplit('X1', options)).toBe('test');
    expect(() => assignSplit('A', { seed: 0, val: 0.7, test: 0.5 })).toThrow(/sum to at most 1/);
  });
});
