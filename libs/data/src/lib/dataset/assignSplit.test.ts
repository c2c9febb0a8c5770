import { describe, expect, it } from 'vitest';
import { assignSplit, crossValidationSplits, type Split } from './assignSplit.js';

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

describe('crossValidationSplits', () => {
  // 23 development patients with one to three cases each, plus test patients that must never move.
  const cases = patients(23).flatMap((id, i) => Array.from({ length: 1 + (i % 3) }, () => ({ patientId: id, split: (i % 4 === 0 ? 'val' : 'train') as Split })));
  const withTest = [...cases, { patientId: 'TEST-1', split: 'test' as Split }, { patientId: 'TEST-2', split: 'test' as Split }];

  it('validates each development patient in exactly one of k folds, whole, with fold sizes within one patient', () => {
    const folds = 5;
    const validatedIn = new Map<string, number[]>();
    const sizes: number[] = [];
    for (let fold = 0; fold < folds; fold++) {
      const splits = crossValidationSplits(withTest, { fold, folds, seed: 7 });
      expect(splits.slice(cases.length)).toEqual(['test', 'test']);
      const val = new Set(withTest.filter((_, i) => splits[i] === 'val').map((c) => c.patientId));
      const train = new Set(withTest.filter((_, i) => splits[i] === 'train').map((c) => c.patientId));
      // A patient's cases never straddle training and validation.
      for (const id of val) expect(train.has(id)).toBe(false);
      expect(val.size + train.size).toBe(23);
      sizes.push(val.size);
      for (const id of val) validatedIn.set(id, [...(validatedIn.get(id) ?? []), fold]);
    }
    expect(validatedIn.size).toBe(23);
    for (const folds of validatedIn.values()) expect(folds).toHaveLength(1);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('depends on the seed and on nothing else: not the order of the cases nor their ingest split', () => {
    const a = crossValidationSplits(withTest, { fold: 2, folds: 4, seed: 1 });
    const reordered = [...withTest].reverse();
    const b = crossValidationSplits(reordered, { fold: 2, folds: 4, seed: 1 }).reverse();
    expect(b).toEqual(a);
    const resplit = withTest.map((c) => (c.split === 'test' ? c : { ...c, split: (c.split === 'val' ? 'train' : 'val') as Split }));
    expect(crossValidationSplits(resplit, { fold: 2, folds: 4, seed: 1 })).toEqual(a);
    expect(crossValidationSplits(withTest, { fold: 2, folds: 4, seed: 2 })).not.toEqual(a);
  });

  it('rejects a fold outside 0..k-1, fewer than two folds, and more folds than patients', () => {
    expect(() => crossValidationSplits(cases, { fold: 5, folds: 5, seed: 0 })).toThrow(/fold must be an integer in 0..4/);
    expect(() => crossValidationSplits(cases, { fold: 0, folds: 1, seed: 0 })).toThrow(/folds must be an integer >= 2/);
    expect(() => crossValidationSplits(cases, { fold: 0, folds: 24, seed: 0 })).toThrow(/at least 24 development/);
  });
});
