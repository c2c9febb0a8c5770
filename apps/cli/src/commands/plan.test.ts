import { describe, expect, it } from 'vitest';
import { duration } from './plan.js';

describe('duration (--time-budget)', () => {
  it('reads seconds, minutes and hours, a bare number as minutes', () => {
    expect(duration('30m')).toBe(1800);
    expect(duration('1.5h')).toBe(5400);
    expect(duration('90s')).toBe(90);
    expect(duration('45')).toBe(2700);
    expect(duration('20min')).toBe(1200);
  });

  it('rejects what is not a positive duration', () => {
    for (const bad of ['', 'soon', '0m', '-5m', '10d']) expect(() => duration(bad)).toThrow(/expected a duration/);
  });
});
