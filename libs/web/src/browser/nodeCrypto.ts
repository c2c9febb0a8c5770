import { Buffer } from 'buffer';
import { sha256 } from './sha256.js';

// The few `node:crypto` calls libs/data makes (SEG UIDs, temporary names), for the browser bundle.
export function randomBytes(count: number): Buffer {
  const bytes = new Uint8Array(count);
  globalThis.crypto.getRandomValues(bytes);
  return Buffer.from(bytes.buffer);
}

/** A version 4 UUID; from getRandomValues, which (unlike crypto.randomUUID) also exists outside secure contexts. */
export function randomUUID(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

class Sha256 {
  private readonly parts: Uint8Array[] = [];
  update(data: string | Uint8Array): this {
    this.parts.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    return this;
  }
  digest(encoding?: 'hex' | 'base64'): Buffer | string {
    const digest = Buffer.from(sha256(Buffer.concat(this.parts)));
    return encoding === undefined ? digest : digest.toString(encoding);
  }
}

export function createHash(algorithm: string): Sha256 {
  if (algorithm.toLowerCase() !== 'sha256') throw new Error(`createHash: only sha256 is available in the browser page, not ${algorithm}`);
  return new Sha256();
}

export default { randomBytes, randomUUID, createHash };
