import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../../testing.js';
import { createRng } from '../random.js';
import type { Volume } from '../volume.js';
import { normalizeIntensity, parseNormalization } from './normalizeIntensity.js';

const rng = createRng(11);
const values = Float32Array.from({ length: 5000 }, () => Math.round(rng.normal() * 300 + 400));
const volume: Volume<Float32Array> = { data: values, shape: [50, 10, 10], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] };

function numpy(expression: string): number[] {
  const script = `import sys, json, numpy as np\nx = np.array(json.loads(sys.stdin.read()), np.float64)\nprint(json.dumps((${expression}).tolist()))`;
  const result = spawnSync(debianPython, ['-c', script], { input: JSON.stringify(Array.from(values)), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as number[];
}

describe('normalizeIntensity', () => {
  it('clips to numpy percentiles and scales to [0, 1] (MONAI ScaleIntensityRangePercentiles)', () => {
    const expected = numpy('np.clip((np.clip(x, *np.percentile(x, [0.5, 99.5])) - np.percentile(x, 0.5)) / (np.percentile(x, 99.5) - np.percentile(x, 0.5)), 0, 1)');
    const { volume: out } = normalizeIntensity(volume, parseNormalization('auto', 'MR'));
    expected.forEach((v, i) => expect(Math.abs(out.data[i]! - v)).toBeLessThan(1e-5));
  });

  it('z-scores the percentile-clipped volume as nnU-Net does for MR', () => {
    const expected = numpy('(lambda c: (c - c.mean()) / c.std())(np.clip(x, *np.percentile(x, [1, 99])))');
    const { volume: out, parameters } = normalizeIntensity(volume, parseNormalization('zscore:1,99', 'MR'));
    expect(parameters.std).toBeGreaterThan(0);
    expected.forEach((v, i) => expect(Math.abs(out.data[i]! - v)).toBeLessThan(1e-4));
  });

  it('maps a CT window preset (lung: L-600 W1500) to [0, 1]', () => {
    const spec = parseNormalization('window:lung', 'CT');
    expect(spec).toEqual({ kind: 'window', center: -600, width: 1500 });
    const ct: Volume<Float32Array> = { ...volume, data: Float32Array.from([-2000, -1350, -600, 150, 3000]), shape: [5, 1, 1] };
    expect(Array.from(normalizeIntensity(ct, spec).volume.data)).toEqual([0, 0, 0.5, 1, 1]);
    expect(() => parseNormalization('window:1,2,3', 'CT')).toThrow(/two numbers/);
    expect(() => parseNormalization('minmax', 'CT')).toThrow(/expected auto/);
  });

  it("applies nnU-Net's CT scheme with fixed bounds and statistics, as numpy does", () => {
    const expected = numpy('(np.clip(x, 100, 900) - 420.5) / 250');
    const spec = parseNormalization('ct:100,900,420.5,250', 'CT');
    expect(spec).toEqual({ kind: 'ct', low: 100, high: 900, mean: 420.5, std: 250 });
    const { volume: out, parameters } = normalizeIntensity(volume, spec);
    expect(parameters).toEqual({ low: 100, high: 900, mean: 420.5, std: 250 });
    expected.forEach((v, i) => expect(Math.abs(out.data[i]! - v)).toBeLessThan(1e-5));
    expect(() => parseNormalization('ct:1,2,3', 'CT')).toThrow(/LOW,HIGH,MEAN,STD/);
    expect(() => parseNormalization('ct:5,2,3,1', 'CT')).toThrow(/LOW < HIGH/);
  });
});
