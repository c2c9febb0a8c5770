import { describe, expect, it } from 'vitest';
import { applyWindow, windowPresets } from './voiWindow.js';

describe('applyWindow', () => {
  it('follows the linear VOI function of PS3.3 C.11.2.1.2.1', () => {
    // c = 40, w = 80: below c - 0.5 - (w-1)/2 = 0 → 0; above c - 0.5 + (w-1)/2 = 79 → 255.
    const out = applyWindow(Float32Array.from([-1000, 0, 0.5, 39.5, 79, 79.5, 2000]), { center: 40, width: 80 });
    const linear = (x: number) => Math.round(((x - 39.5) / 79 + 0.5) * 255);
    expect(Array.from(out)).toEqual([0, 0, linear(0.5), linear(39.5), 255, 255, 255]);
    expect(linear(39.5)).toBe(128);
  });

  it('inverts for MONOCHROME1', () => {
    const values = Int16Array.from([-100, 40, 200]);
    const plain = applyWindow(values, windowPresets.brain);
    const inverted = applyWindow(values, windowPresets.brain, { invert: true });
    expect(Array.from(inverted)).toEqual(Array.from(plain).map((v) => 255 - v));
  });

  it('has the usual CT presets in Hounsfield units', () => {
    expect(windowPresets.lung).toEqual({ center: -600, width: 1500 });
    expect(Object.keys(windowPresets).sort()).toEqual(['abdomen', 'bone', 'brain', 'liver', 'lung']);
  });
});
