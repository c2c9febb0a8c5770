import { describe, expect, it } from 'vitest';
import { csvCell } from './csvCell.js';

describe('csvCell', () => {
  it('neutralises text that a spreadsheet would run as a formula (OWASP CSV injection)', () => {
    expect(csvCell('=1+2')).toBe(`"'=1+2"`);
    expect(csvCell('+1')).toBe(`"'+1"`);
    expect(csvCell('-1')).toBe(`"'-1"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('\t=x')).toBe(`"'\t=x"`);
    expect(csvCell('=HYPERLINK("a")')).toBe(`"'=HYPERLINK(""a"")"`);
  });

  it('quotes per RFC 4180 and leaves plain text and numbers alone', () => {
    expect(csvCell('STS_001')).toBe('STS_001');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell(-0.5)).toBe('-0.5');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(-Infinity)).toBe('-inf');
    expect(csvCell(true)).toBe('true');
  });
});
