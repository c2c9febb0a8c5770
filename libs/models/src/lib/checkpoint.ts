import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelLoadError } from './errors.js';
import type { Unet, UnetConfig } from './unet.js';
import { buildUnet } from './unet.js';
import { pathExists } from '@medseg/data';
import type { RunRecord } from './run-record-schema.js';
import type { TrainSettings, TrainState } from './train-settings.js';

/** A tensor with a name, as optimisers' `getWeights()` return them. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
}

/** Named tensors to one little-endian binary blob plus an index (the layout of TF.js weight shards). */
async function packTensors(list: readonly { name: string; tensor: tf.Tensor }[]): Promise<{ index: TensorEntry[]; data: Buffer }> {
  const index: TensorEntry[] = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (const { name, tensor } of list) {
    const values = await tensor.data();
    const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    index.push({ name, shape: [...tensor.shape], dtype: tensor.dtype === 'int32' ? 'int32' : 'float32', offset });
    parts.push(Buffer.from(bytes));
    offset += bytes.byteLength;
  }
  return { index, data: Buffer.concat(parts) };
}

function unpackTensors(index: readonly TensorEntry[], data: Buffer): { name: string; tensor: tf.Tensor }[] {
  return index.map((entry) => {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    const copy = data.buffer.slice(data.byteOffset + entry.offset, data.byteOffset + entry.offset + size * 4);
    const values = entry.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    return { name: entry.name, tensor: tf.tensor(values, entry.shape, entry.dtype) };
  });
}

/** Every weight of a model (BN moving statistics included) under `layer/weight`, stable across processes. */
export function namedWeights(model: tf.LayersModel): { name: string; tensor: tf.Tensor }[] {
  return model.layers.flatMap((layer) =>
    layer.weights.map((weight) => ({ name: `${layer.name}/${weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1)}`, tensor: weight.read() })),
  );
}

function setNamedWeights(model: tf.LayersModel, values: Map<string, tf.Tensor>, path: string): void {
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    layer.setWeights(
      layer.weights.map((weight) => {
        const name = `${layer.name}/${weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1)}`;
        const value = values.get(name);
        if (value === undefined) throw new ModelLoadError(`checkpoint lacks weight ${name}`, { path });
        return value;
      }),
    );
  }
}

/**
 * Copies every weight of `from` into `to` by layer name (BN statistics included): how a second, unfrozen
 * phase starts from a frozen run's checkpoint. Both must have the same architecture.
 */
export function copyUnetWeights(from: Unet, to: Unet): void {
  const values = new Map([...namedWeights(from.encoder.model), ...namedWeights(from.decoder)].map((w) => [w.name, w.tensor]));
  setNamedWeights(to.encoder.model, values, 'copyUnetWeights');
  setNamedWeights(to.decoder, values, 'copyUnetWeights');
}

export interface CheckpointContents {
  unet: Unet;
  /** Optimiser weights as `getWeights()` gave them, per optimiser name ('decoder', 'encoder'). */
  optimizers: Record<string, NamedTensor[]>;
  /** Training state (epoch, RNG, metrics...). */
  state: TrainState;
  /** Training settings. */
  training: TrainSettings;
  /** The run record of the run that wrote the checkpoint (absent in checkpoints from before it existed). */
  run?: RunRecord;
}

export interface CheckpointMeta {
  format: 'medseg-unet-checkpoint';
  version: 1;
  config: UnetConfig;
  encoderDepth: number;
  training: TrainSettings;
  run?: RunRecord;
  /** sha256 (hex) of each other file of the folder, verified on load; absent in older checkpoints. */
  sha256?: Record<string, string>;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');


/**
 * Writes a checkpoint folder atomically: everything goes to `<dir>.tmp`, which then replaces `<dir>` by two
 * renames, so a kill at any moment leaves either the old or the new checkpoint (`<dir>.old` in the window
 * between the renames, which `loadCheckpoint` also accepts).
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const model = await packTensors([...namedWeights(contents.unet.encoder.model), ...namedWeights(contents.unet.decoder)]);
  const files: Record<string, string | Uint8Array> = { 'weights.bin': model.data, 'weights.json': JSON.stringify(model.index) };
  const optimizerIndex: Record<string, TensorEntry[]> = {};
  const optimizerParts: Buffer[] = [];
  let base = 0;
  for (const [key, weights] of Object.entries(contents.optimizers)) {
    const packed = await packTensors(weights.map((w) => ({ name: w.name, tensor: w.tensor })));
    optimizerIndex[key] = packed.index.map((entry) => ({ ...entry, offset: entry.offset + base }));
    optimizerParts.push(packed.data);
    base += packed.data.byteLength;
  }
  files['optimizer.bin'] = Buffer.concat(optimizerParts);
  files['optimizer.json'] = JSON.stringify(optimizerIndex);
  files['state.json'] = `${JSON.stringify(contents.state, null, 2)}\n`;
  for (const [name, data] of Object.entries(files)) await writeFile(join(tmp, name), data);
  const meta: CheckpointMeta = {
    format: 'medseg-unet-checkpoint',
    version: 1,
    config: contents.unet.config,
    encoderDepth: contents.unet.encoder.depth,
    training: contents.training,
    ...(contents.run === undefined ? {} : { run: contents.run }),
    sha256: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, sha256(data)])),
  };
  await writeFile(join(tmp, 'config.json'), `${JSON.stringify(meta, null, 2)}\n`);
  const old = `${dir}.old`;
  await rm(old, { recursive: true, force: true });
  if (await pathExists(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** The folder to read: `dir`, or `dir.old` when a save was cut between its two renames. */
export async function checkpointFolder(dir: string): Promise<string | null> {
  if (await pathExists(join(dir, 'state.json'))) return dir;
  if (await pathExists(join(`${dir}.old`, 'state.json'))) return `${dir}.old`;
  return null;
}

/** The config.json of a checkpoint folder (its architecture, settings and run record), checked to be one. */
export async function readCheckpointMeta(dir: string): Promise<{ folder: string; meta: CheckpointMeta }> {
  const folder = await checkpointFolder(dir);
  if (folder === null) throw new ModelLoadError('not a medseg checkpoint (no state.json)', { path: dir });
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as CheckpointMeta;
  } catch (cause) {
    throw new ModelLoadError('cannot read config.json', { path: join(folder, 'config.json'), cause });
  }
  if (meta.format !== 'medseg-unet-checkpoint') throw new ModelLoadError('config.json is not a medseg checkpoint', { path: join(folder, 'config.json') });
  return { folder, meta };
}

/** Rebuilds the U-Net of a checkpoint (no encoder download: every weight comes from the folder), checksums verified. */
export async function loadCheckpoint(dir: string): Promise<CheckpointContents> {
  const { folder, meta } = await readCheckpointMeta(dir);
  const read = async (name: string): Promise<Buffer> => {
    let data: Buffer;
    try {
      data = await readFile(join(folder, name));
    } catch (cause) {
      throw new ModelLoadError(`cannot read ${name}`, { path: join(folder, name), cause });
    }
    const expected = meta.sha256?.[name];
    if (expected !== undefined && sha256(data) !== expected) {
      throw new ModelLoadError('checksum mismatch: the file changed after the checkpoint was written (damaged or edited); retrain or restore it', { path: join(folder, name) });
    }
    return data;
  };
  const json = async <T>(name: string): Promise<T> => {
    const data = await read(name);
    try {
      return JSON.parse(data.toString('utf8')) as T;
    } catch (cause) {
      throw new ModelLoadError(`${name} is not valid JSON`, { path: join(folder, name), cause });
    }
  };
  const weightIndex = await json<TensorEntry[]>('weights.json');
  const weightData = await read('weights.bin');
  assertFinite(weightIndex, weightData, join(folder, 'weights.bin'));
  const optimizerIndex = await json<Record<string, TensorEntry[]>>('optimizer.json');
  const optimizerData = await read('optimizer.bin');
  const state = await json<TrainState>('state.json');
  const unet = await buildUnet({ ...meta.config, encoderDepth: meta.encoderDepth });
  const weights = unpackTensors(weightIndex, weightData);
  const byName = new Map(weights.map((w) => [w.name, w.tensor]));
  try {
    setNamedWeights(unet.encoder.model, byName, folder);
    setNamedWeights(unet.decoder, byName, folder);
  } catch (error) {
    unet.dispose();
    throw error;
  } finally {
    tf.dispose(weights.map((w) => w.tensor));
  }
  const optimizers: Record<string, NamedTensor[]> = {};
  for (const [key, index] of Object.entries(optimizerIndex)) optimizers[key] = unpackTensors(index, optimizerData);
  return { unet, optimizers, state, training: meta.training, ...(meta.run === undefined ? {} : { run: meta.run }) };
}

/** Every float32 weight is a number (a NaN or infinity means a damaged or diverged checkpoint, even without checksums). */
function assertFinite(index: readonly TensorEntry[], data: Buffer, path: string): void {
  for (const entry of index) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.offset + size * 4 > data.byteLength) throw new ModelLoadError(`weight ${entry.name} lies beyond the end of the file (truncated)`, { path });
    if (entry.dtype !== 'float32') continue;
    const values = new Float32Array(data.buffer.slice(data.byteOffset + entry.offset, data.byteOffset + entry.offset + size * 4));
    if (!values.every(Number.isFinite)) throw new ModelLoadError(`weight ${entry.name} holds NaN or infinite values`, { path });
  }
}
