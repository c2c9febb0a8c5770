import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateCapped } from './inflateCapped.js';
import { ResourceLimitError, checkVoxelLimit, resourceLimits, setResourceLimits } from './resourceLimits.js';

describe('inflateCapped', () => {
  const zeros = Buffer.alloc(10_000_000);

  it('inflates within the cap to the same bytes zlib gives', () => {
    expect(inflateCapped(gzipSync(zeros), 'gzip', 'x.nii.gz', 10_000_000).equals(zeros)).toBe(true);
    expect(inflateCapped(deflateRawSync(zeros), 'raw', 'x.dcm', 10_000_000).equals(zeros)).toBe(true);
  });

  it('stops past the cap with a typed error naming the file and the limit', () => {
    expect(() => inflateCapped(gzipSync(zeros), 'gzip', 'x.nii.gz', 1_000_000)).toThrow(new ResourceLimitError('gzip stream inflates to more than 1,000,000 bytes (the limit for this stream)', { path: 'x.nii.gz' }).message);
  });

  it('rethrows other zlib failures for the caller to name', () => {
    expect(() => inflateCapped(Buffer.from('not gzip'), 'gzip', 'x', 100)).toThrow(/incorrect header check/);
  });
});

describe('resource limits', () => {
  it('are set for the process, checked and restored', () => {
    const previous = setResourceLimits({ maxVoxels: 1000 });
    try {
      expect(() => checkVoxelLimit(1001, 'the image', 'a.nii')).toThrow('a.nii: the image is 1,001 voxels, over the limit of 1,000 (--max-voxels)');
      expect(() => checkVoxelLimit(Number.NaN, 'the image', 'a.nii')).toThrow(ResourceLimitError);
      checkVoxelLimit(1000, 'the image', 'a.nii');
      expect(() => setResourceLimits({ maxVoxels: 0 })).toThrow(RangeError);
    } finally {
      setResourceLimits(previous);
    }
    expect(resourceLimits()).toEqual(previous);
  });
});
