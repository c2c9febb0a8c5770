import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

/** Debian's python3 (with python3-torch, -torchvision, -h5py), not a pyenv one on PATH. */
const debianPython = '/usr/bin/python3';
const helper = fileURLToPath(new URL('./torchvision_keras_h5.py', import.meta.url));

export interface TorchvisionReference {
  /** Keras-layout HDF5 weights file holding the torchvision network's random weights. */
  weightsFile: string;
  /** The random input, NHWC. */
  input: tf.Tensor4D;
  /** torchvision's skip features for it, deepest first, NHWC. */
  skips: tf.Tensor4D[];
}

/** Runs `torchvision_keras_h5.py` for `arch` (`vgg16`, `resnet50`) and reads what it wrote. */
export async function torchvisionReference(arch: string, size: number, seed: number): Promise<TorchvisionReference> {
  const dir = await mkdtemp(join(tmpdir(), `medseg-${arch}-`));
  const result = spawnSync(debianPython, [helper, arch, String(size), String(seed), dir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`torchvision helper failed: ${result.stderr}`);
  const shapes = JSON.parse(await readFile(join(dir, 'shapes.json'), 'utf8')) as Record<string, [number, number, number, number]>;
  const read = async (name: string): Promise<tf.Tensor4D> => {
    const bytes = await readFile(join(dir, `${name}.bin`));
    return tf.tensor4d(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice(), shapes[name]!);
  };
  const count = Object.keys(shapes).filter((k) => k.startsWith('skip')).length;
  return { weightsFile: join(dir, 'weights.h5'), input: await read('input'), skips: await Promise.all(Array.from({ length: count }, (_, i) => read(`skip${i}`))) };
}

/** max |actual - expected| / max |expected|. */
export function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]! / tf.max(tf.abs(expected)).dataSync()[0]!);
}
