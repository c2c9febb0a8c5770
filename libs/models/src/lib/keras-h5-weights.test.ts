import { spawnSync } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '@medseg/data/testing';
import { ModelLoadError } from './errors.js';
import { readKerasH5Weights } from './keras-h5-weights.js';

const debianPython = '/usr/bin/python3';
const file = sharedPath('weights/mobilenet_v2_1.0_224_no_top/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5');

describe('readKerasH5Weights', () => {
  it('reads every tensor of the MobileNet v2 file as h5py does (names, shapes, values)', async () => {
    const script = `
import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
out = {}
for layer in f.attrs['layer_names']:
    layer = layer.decode()
    for w in f[layer].attrs['weight_names']:
        d = np.asarray(f[layer][w.decode()], dtype=np.float64)
        out[layer + '/' + w.decode().split('/')[-1].split(':')[0]] = [list(d.shape), float(d.sum()), float(np.abs(d).max()), float(d.ravel()[-1])]
print(json.dumps(out))`;
    const result = spawnSync(debianPython, ['-c', script, file], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(result.status, result.stderr).toBe(0);
    const expected = JSON.parse(result.stdout) as Record<string, [number[], number, number, number]>;
    const named = await readKerasH5Weights(file);
    expect(Object.keys(named).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(named)).toHaveLength(260);
    for (const [name, [shape, sum, max, last]] of Object.entries(expected)) {
      const tensor = named[name]!;
      expect(tensor.shape).toEqual(shape);
      const values = tensor.dataSync() as Float32Array;
      expect(values[values.length - 1]).toBeCloseTo(last, 6);
      expect(values.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeCloseTo(max, 6);
      expect(Math.abs(tf.sum(tensor).dataSync()[0]! - sum)).toBeLessThan(1e-3 * Math.max(1, Math.abs(sum)));
    }
    tf.dispose(named);
  });

  it('refuses a file that is not HDF5, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medseg-h5-'));
    const bad = join(dir, 'weights.h5');
    await writeFile(bad, 'not an HDF5 file');
    const error = await readKerasH5Weights(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).path).toBe(bad);
  });
});
