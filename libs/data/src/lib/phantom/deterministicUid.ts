import { hashString } from '../random.js';

/**
 * A UID under the 2.25 root (ISO/IEC 9834-8: a UUID as one decimal integer), made from a seed and a key
 * instead of a random UUID, so that the same phantom seed writes the same bytes.
 */
export function deterministicUid(seed: number, key: string): string {
  let value = 0n;
  for (let part = 0; part < 4; part++) value = (value << 32n) | BigInt(hashString(`${seed}:${key}:${part}`, 0x811c9dc5 ^ part));
  // Version-4/variant bits as a random UUID would carry, keeping the value within 128 bits.
  value = (value & ~(0xfn << 76n)) | (0x4n << 76n);
  value = (value & ~(0x3n << 62n)) | (0x2n << 62n);
  return `2.25.${value.toString()}`;
}
