import { describe, expect, it } from 'vitest';
import { diceScore, nanMean } from './dice.js';

describe('diceScore', () => {
  it('is 2|A∩B| / (|A| + |B|) per label, within a window of the arrays', () => {
    const truth = [1, 1, 1, 0, 2, 2, 0, 0];
    const pred = [1, 1, 0, 1, 2, 0, 0, 2];
    expect(diceScore(truth, pred, 1)).toBeCloseTo((2 * 2) / (3 + 3), 12);
    expect(diceScore(truth, pred, 2)).toBeCloseTo((2 * 1) / (2 + 2), 12);
    expect(diceScore(truth, pred, 1, 0, 3)).toBeCloseTo((2 * 2) / (3 + 2), 12);
  });

  it('is NaN when both are empty (excluded by nanMean), 0 when only one is', () => {
    expect(diceScore([0, 0], [0, 0])).toBeNaN();
    expect(diceScore([1, 0], [0, 0])).toBe(0);
    expect(nanMean([0.5, Number.NaN, 1])).toBe(0.75);
    expect(nanMean([Number.NaN])).toBeNaN();
  });
});
