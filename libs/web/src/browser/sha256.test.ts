import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { sha256 } from './sha256.js';

describe('sha256', () => {
  it("equals Node's SHA-256 at every padding boundary and on longer messages", () => {
    const rng = createRng(7);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 4097]) {
      const message = Uint8Array.from({ length }, () => Math.floor(rng.next() * 256));
      expect(Buffer.from(sha256(message)).toString('hex'), `length ${length}`).toBe(createHash('sha256').update(message).digest('hex'));
    }
  });
});
