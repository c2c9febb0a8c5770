import { describe, expect, it } from 'vitest';
import { runPython } from '../../testing.js';
import { createRng } from '../random.js';
import { percentile } from './percentile.js';

describe('percentile', () => {
  it('matches numpy.percentile (linear) on many sizes, ties and quantiles', () => {
    const rng = createRng(7);
    const arrays: number[][] = [[3], [1, 2], [5, 1, 4, 4, 2], [0, 0, 0, 1]];
    for (const n of [3, 10, 19, 20, 21, 101, 997]) arrays.push(Array.from({ length: n }, () => Math.round(rng.uniform(0, 50) * 8) / 8));
    const qs = [0, 1, 2.5, 5, 25, 50, 75, 90, 95, 97.5, 99, 100];
    const expected = runPython<number[][]>(
      'import numpy as np\nprint(json.dumps([[float(np.percentile(np.array(a, dtype=np.float64), q)) for q in inp["qs"]] for a in inp["arrays"]]))',
      { arrays, qs },
    );
    arrays.forEach((a, i) => qs.forEach((q, j) => expect(percentile(a, q), `n=${a.length} q=${q}`).toBeCloseTo(expected[i]![j]!, 12)));
  });

  it('is NaN for no values and keeps infinities that need no interpolation', () => {
    expect(percentile([], 95)).toBeNaN();
    expect(percentile([Infinity, Infinity, Infinity], 95)).toBe(Infinity);
  });
});
