import { describe, expect, it } from 'vitest';
import { printable } from './printable.js';

describe('printable', () => {
  it('replaces C0, DEL, C1 and bidi controls; keeps other Unicode', () => {
    expect(printable('\u001b[2J\u001b[Hx\nFORGED\r\t\u007f\u009b\u202e')).toBe('?[2J?[Hx?FORGED?????');
    expect(printable('Müller 山田')).toBe('Müller 山田');
    expect(printable('a\nb', true)).toBe('a\nb');
  });
});
