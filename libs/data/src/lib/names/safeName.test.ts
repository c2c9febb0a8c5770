import { describe, expect, it } from 'vitest';
import { MAX_SAFE_NAME_LENGTH, isSafeName, safeName } from './safeName.js';

describe('safeName', () => {
  it('keeps plain IDs and turns everything else into single underscores', () => {
    expect(safeName('STS_001')).toBe('STS_001');
    expect(safeName('Smith^John')).toBe('Smith_John');
    expect(safeName('Smith John')).toBe('Smith_John');
    expect(safeName('../../../../tmp/x')).toBe('tmp_x');
    expect(safeName('a/b\\c:d*e?f"g<h>i|j\0k')).toBe('a_b_c_d_e_f_g_h_i_j_k');
  });

  it("maps '.', '..', empty and all-symbol strings to the fallback, and never starts with a dot", () => {
    for (const text of ['.', '..', '', '   ', '^^^', '\u001b[2J']) expect(safeName(text), JSON.stringify(text)).toMatch(/^(case|2J)$/);
    expect(safeName('.hidden')).toBe('hidden');
    expect(safeName('', 'series')).toBe('series');
  });

  it('bounds the length and avoids Windows device names', () => {
    const name = safeName('P'.repeat(300));
    expect(name).toHaveLength(MAX_SAFE_NAME_LENGTH);
    expect(safeName('NUL')).toBe('NUL_');
    expect(safeName('com1')).toBe('com1_');
  });

  it('is idempotent: a safe name is its own safe name (what readDatasetManifest checks)', () => {
    for (const text of ['Smith^John', '..', 'P'.repeat(300), 'é-ü', 'a..b', '-x-']) {
      const once = safeName(text);
      expect(safeName(once)).toBe(once);
    }
  });

  it('isSafeName accepts what safeName makes and what earlier ingests wrote, and nothing that can move a path', () => {
    for (const text of ['Smith^John', '..', 'P'.repeat(300), 'é-ü', '\u001b']) expect(isSafeName(safeName(text))).toBe(true);
    for (const old of ['ABC_', 'STS_001_2', 'x-']) expect(isSafeName(old)).toBe(true);
    for (const bad of ['', '.', '..', '.hidden', 'a/b', '../x', 'a\\b', 'C:x', 'x'.repeat(201), 'a\0b', 7, null]) expect(isSafeName(bad), String(bad)).toBe(false);
  });
});
