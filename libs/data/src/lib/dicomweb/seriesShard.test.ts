import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { inShard, parseShard } from './seriesShard.js';

describe('series shards', () => {
  it('parse K/N and refuse K >= N, N = 0 and other text', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    for (const bad of ['3/3', '0/0', '-1/3', '1', 'a/b', '1/3/4', '']) expect(() => parseShard(bad), bad).toThrow(/expected K\/N/);
  });

  it('partition any set of UIDs: each in exactly one shard, roughly evenly', () => {
    const rng = createRng(11);
    const uids = Array.from({ length: 3000 }, () => `1.2.840.${Math.floor(rng.next() * 1e9)}.${Math.floor(rng.next() * 1e9)}`);
    for (const count of [1, 3, 7]) {
      const sizes = Array.from({ length: count }, (_, index) => uids.filter((uid) => inShard(uid, { index, count })).length);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(uids.length);
      for (const uid of uids) expect(Array.from({ length: count }, (_, index) => inShard(uid, { index, count })).filter(Boolean)).toHaveLength(1);
      for (const size of sizes) expect(Math.abs(size - uids.length / count)).toBeLessThan((uids.length / count) * 0.15);
    }
  });
});
