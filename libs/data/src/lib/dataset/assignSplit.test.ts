import { describe, expect, it } from 'vitest';
import { assignSplits, crossValidationSplits, type Split } from './assignSplit.js';

const patients = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => `PAT-${String(i + offset).padStart(5, '0')}`);

const count = (splits: Map<string, Split>, split: Split) => [...splits.values()].filter((s) => s === split).length;

describe('assignSplits', () => {
  it('takes the fractions exactly: 36 patients with val 0.2 give 7 in validation, 200 with 0.2/0.1 give 40/20', () => {
    const sts = Array.from({ length: 36 }, (_, i) => `STS_${String(i + 1).padStart(3, '0')}`);
    for (const seed of [0, 1, 7]) {
      const splits = assignSplits(sts, { seed, val: 0.2, test: 0 });
      expect(splits.size).toBe(36);
      expect(count(splits, 'val')).toBe(7);
      expect(count(splits, 'train')).toBe(29);
    }
    const many = assignSplits(patients(200), { seed: 9, val: 0.2, test: 0.1 });
    expect([count(many, 'train'), count(many, 'val'), count(many, 'test')]).toEqual([140, 40, 20]);
    // A positive fraction of a small dataset still gets a patient; zero gets none.
    expect(count(assignSplits(patients(3), { seed: 0, val: 0.1, test: 0 }), 'val')).toBe(1);
    expect(count(assignSplits(patients(3), { seed: 0, val: 0, test: 0 }), 'val')).toBe(0);
    // ...but never the last patient who could train: one patient with val 0.5 trains, two split one and one.
    expect([...assignSplits(patients(1), { seed: 0, val: 0.5, test: 0 }).values()]).toEqual(['train']);
    expect(count(assignSplits(patients(2), { seed: 0, val: 0.5, test: 0 }), 'val')).toBe(1);
    expect(count(assignSplits(patients(2), { seed: 0, val: 0.5, test: 0.5 }), 'train')).toBe(0);
  });

  it('is deterministic for a seed, does not depend on the order of the IDs, and changes with the seed', () => {
    const ids = patients(200);
    const a = assignSplits(ids, { seed: 1, val: 0.2, test: 0.1 });
    const b = assignSplits([...ids].reverse(), { seed: 1, val: 0.2, test: 0.1 });
    const c = assignSplits(ids, { seed: 2, val: 0.2, test: 0.1 });
    expect(ids.map((id) => b.get(id))).toEqual(ids.map((id) => a.get(id)));
    expect(ids.map((id) => c.get(id))).not.toEqual(ids.map((id) => a.get(id)));
  });

  it('moves only patients at the boundaries when one patient is added: at most one with a validation fraction alone, three with test too', () => {
    const all = patients(120);
    for (const [test, most] of [[0, 1], [0.1, 3]] as const) {
      let moved = 0;
      for (let n = 10; n < all.length; n++) {
        const before = assignSplits(all.slice(0, n), { seed: 3, val: 0.3, test });
        const after = assignSplits(all.slice(0, n + 1), { seed: 3, val: 0.3, test });
        const changed = all.slice(0, n).filter((id) => before.get(id) !== after.get(id)).length;
        expect(changed, `adding patient ${n + 1}`).toBeLessThanOrEqual(most);
        moved += changed;
      }
      // Most additions move nobody or one: far fewer moves than the worst case.
      expect(moved).toBeLessThan(110 * most * 0.8);
    }
  });

  it('honours patients forced into a split by pattern, counting them in the fractions, and rejects impossible fractions', () => {
    const options = { seed: 0, val: 0, test: 0, valPatients: 'STS_029,STS_03*', testPatients: 'X?' };
    const splits = assignSplits(['STS_029', 'sts_031', 'STS_028', 'X1'], options);
    expect(splits.get('STS_029')).toBe('val');
    expect(splits.get('sts_031')).toBe('val');
    expect(splits.get('STS_028')).toBe('train');
    expect(splits.get('X1')).toBe('test');
    // Eight forced test patients of 36 and val 0.2: seven more in validation from the other 28.
    const sts = Array.from({ length: 36 }, (_, i) => `STS_${String(i + 1).padStart(3, '0')}`);
    const held = assignSplits(sts, { seed: 1, val: 0.2, test: 0, testPatients: 'STS_029,STS_03*' });
    expect(sts.filter((id) => held.get(id) === 'test')).toEqual(['STS_029', ...sts.slice(29)]);
    expect(count(held, 'val')).toBe(7);
    expect(() => assignSplits(['A'], { seed: 0, val: 0.7, test: 0.5 })).toThrow(/sum to at most 1/);
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
