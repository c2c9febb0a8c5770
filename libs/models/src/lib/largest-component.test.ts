import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRng } from '@medseg/data';
import { debianPython } from '@medseg/data/testing';
import { largestComponent } from './largest-component.js';

describe('largestComponent', () => {
  it('matches scipy.ndimage.label (6-connectivity) keeping the biggest component, on random blobs', () => {
    const shape = [23, 17, 9] as const;
    const rng = createRng(4);
    const labels = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => (rng.next() < 0.35 ? 1 : 0));
    const script = `
import sys, numpy as np
from scipy import ndimage
a = np.frombuffer(sys.stdin.buffer.read(), dtype=np.uint8).reshape(${shape[2]}, ${shape[1]}, ${shape[0]})
lab, n = ndimage.label(a)
sizes = np.bincount(lab.ravel())[1:]
keep = (lab == (np.argmax(sizes) + 1)).astype(np.uint8)
sys.stdout.buffer.write(keep.tobytes())`;
    const result = spawnSync(debianPython, ['-c', script], { input: Buffer.from(labels.buffer), maxBuffer: 1 << 24 });
    expect(result.status, result.stderr?.toString()).toBe(0);
    const expected = new Uint8Array(result.stdout.buffer, result.stdout.byteOffset, result.stdout.byteLength);
    const actual = largestComponent(labels, shape);
    expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected))).toBe(0);
    expect(actual.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('keeps the largest component of each label separately', () => {
    // Row of 7: label 1 twice (sizes 2 and 1), label 2 twice (sizes 1 and 2).
    const labels = Uint8Array.from([1, 1, 0, 1, 2, 0, 2, 2]);
    expect(Array.from(largestComponent(labels, [8, 1, 1]))).toEqual([1, 1, 0, 0, 0, 0, 2, 2]);
  });
});
