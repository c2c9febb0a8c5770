import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OutputWriteError, describeSystemError, outputWriteError } from './systemErrors.js';

function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('system errors in words', () => {
  it('a real ENOSPC (writing /dev/full) says what happened, and names the path once it is known', () => {
    const error = thrown(() => writeFileSync('/dev/full', 'x')) as NodeJS.ErrnoException;
    // `write` failures carry no path: writeFileAtomic adds the target's.
    expect(describeSystemError(error)).toBe('cannot write: no space left on the device (ENOSPC)');
    expect(outputWriteError(error, '/dev')).toBeUndefined();
    error.path = '/dev/full';
    expect(describeSystemError(error)).toBe('/dev/full: cannot write: no space left on the device (ENOSPC)');
    const typed = outputWriteError(error, '/dev');
    expect(typed).toBeInstanceOf(OutputWriteError);
    expect(typed!.message).toBe('/dev/full: cannot write: no space left on the device (ENOSPC)');
    expect(outputWriteError(error, '/elsewhere')).toBeUndefined();
  });

  it('a real ENOTDIR and ENOENT read in words; other errors are not system errors', () => {
    expect(describeSystemError(thrown(() => writeFileSync('/dev/null/x', 'x')))).toBe('/dev/null/x: cannot open: a part of the path is a file, not a folder (ENOTDIR)');
    expect(describeSystemError(thrown(() => readFileSync('/nonexistent-medseg')))).toBe('/nonexistent-medseg: cannot open: no such file or folder (ENOENT)');
    expect(describeSystemError(thrown(() => readdirSync('/nonexistent-medseg')))).toBe('/nonexistent-medseg: cannot read: no such file or folder (ENOENT)');
    expect(describeSystemError(new Error('plain'))).toBeUndefined();
    expect(describeSystemError(686848)).toBeUndefined();
  });
});
