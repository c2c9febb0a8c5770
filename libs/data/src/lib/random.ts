/**
 * A seeded pseudo-random generator (sfc32, seeded through splitmix32). `Math.random` is banned in this
 * repository: every random draw comes from one of these so that the same seed gives the same bytes.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Integer uniform in [low, high). */
  int(low: number, high: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A generator derived from this one's seed and a key, independent of how many draws this one made. */
  child(key: string | number): Rng;
  /** The state, to checkpoint and restore a generator exactly. */
  state(): RngState;
}

export type RngState = readonly [number, number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the UTF-16 code units of a string: stable across platforms and Node versions. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function createRng(seed: number | RngState): Rng {
  let a: number, b: number, c: number, d: number;
  const baseSeed = typeof seed === 'number' ? seed >>> 0 : seed[4];
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new RangeError(`createRng: seed must be a finite number, got ${seed}`);
    const mix = splitmix32(baseSeed);
    a = mix();
    b = mix();
    c = mix();
    d = mix();
  } else {
    [a, b, c, d] = seed;
  }
  let spare: number | undefined;

  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  // Warm up so that nearby seeds diverge at once.
  if (typeof seed === 'number') for (let i = 0; i < 12; i++) nextUint32();

  const rng: Rng = {
    next: () => nextUint32() / 4294967296,
    uniform: (low, high) => low + (high - low) * rng.next(),
    int: (low, high) => low + Math.floor((high - low) * rng.next()),
    normal: () => {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    child: (key) => createRng(hashString(String(key), baseSeed ^ 0x9e3779b9)),
    state: () => [a, b, c, d, baseSeed],
  };
  return rng;
}
