import { MedsegError } from '../errors.js';
import { hashString } from '../random.js';

/** Shard `index` of `count` (0-based), as `--shard K/N` and Kubernetes Indexed Jobs number them. */
export interface SeriesShard {
  readonly index: number;
  readonly count: number;
}

/** Parses `K/N` with 0 <= K < N. */
export function parseShard(text: string): SeriesShard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || !(count >= 1) || !(index < count)) throw new MedsegError(`expected K/N with 0 <= K < N, got '${text}'`);
  return { index, count };
}

/**
 * Whether a series belongs to a shard: FNV-1a of its SeriesInstanceUID modulo the shard count. Depends on
 * the UID alone, so every machine agrees without talking to the others and the shards partition any set of
 * series exactly.
 */
export function inShard(seriesInstanceUid: string, shard: SeriesShard): boolean {
  return hashString(seriesInstanceUid) % shard.count === shard.index;
}
