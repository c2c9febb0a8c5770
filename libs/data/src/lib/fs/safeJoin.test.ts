import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PathEscapeError, isInside, safeJoin } from './safeJoin.js';

describe('safeJoin', () => {
  const root = resolve('/data/ds');

  it('joins paths that stay inside', () => {
    expect(safeJoin(root, 'cases/a/image.nii.gz')).toBe(join(root, 'cases/a/image.nii.gz'));
    expect(safeJoin(root, 'cases/../cases/a')).toBe(join(root, 'cases/a'));
  });

  it('refuses climbing out, absolute paths, the root itself, empty and NUL, naming the source', () => {
    for (const bad of ['../x', 'cases/../../x', '/etc/passwd', '.', '', 'a\0b', 'C:\\x', '\\\\server\\x']) {
      const error = (() => {
        try {
          safeJoin(root, bad, '/data/ds/manifest.json');
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, JSON.stringify(bad)).toBeInstanceOf(PathEscapeError);
      expect((error as PathEscapeError).path).toBe('/data/ds/manifest.json');
    }
  });

  it('isInside is lexical and exact about prefixes', () => {
    expect(isInside(root, join(root, 'a'))).toBe(true);
    expect(isInside(root, root)).toBe(true);
    expect(isInside(root, `${root}-other/a`)).toBe(false);
    expect(isInside(root, resolve(root, '..'))).toBe(false);
  });
});
