import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, writeFileAtomic } from '@medseg/data';
import { type CheckpointContents, checkpointFolder, loadCheckpoint } from '../checkpoint.js';
import { ModelExportError, ModelLoadError } from '../errors.js';
import { type ExportedMember, describeOnnxExport, type MedsegModelDescription, medsegModelFile, onnxModelFile } from './medseg-model.js';
import { unetOnnxGraph } from './onnx-graph.js';
import { encodeOnnxModel } from './write-onnx.js';

/** A run folder's checkpoint (best/, else last/), or the folder itself when it is a checkpoint. */
export async function resolveRunCheckpoint(model: string): Promise<string> {
  if (!(await pathExists(model))) throw new ModelLoadError('no such training run or checkpoint folder', { path: model });
  for (const candidate of [join(model, 'best'), join(model, 'last'), model]) {
    if ((await checkpointFolder(candidate)) !== null) return candidate;
  }
  throw new ModelLoadError('not a training run or checkpoint folder (no best/, last/ or state.json)', { path: model });
}

async function runRecord(checkpoint: string): Promise<unknown> {
  for (const file of [join(checkpoint, '..', 'run.json'), join(checkpoint, 'run.json')]) {
    if (await pathExists(file)) return JSON.parse(await readFile(file, 'utf8')) as unknown;
  }
  return undefined;
}

export interface ExportOnnxOptions {
  /** Training runs or checkpoint folders; several export as one ensemble graph. */
  models: readonly string[];
  out: string;
  threshold?: number;
  /** Write into a folder that is not empty (model.onnx and medseg-model.json are replaced). */
  overwrite?: boolean;
}

export interface ExportOnnxResult {
  files: { model: string; description: string };
  description: MedsegModelDescription;
  bytes: number;
}

/** The ONNX bytes and description of already loaded checkpoints (what `medseg export` and `predict --engine onnx` share). */
export function onnxExportOf(members: readonly { checkpoint: string; contents: CheckpointContents; run?: unknown }[], options: { threshold?: number } = {}): { model: Uint8Array; description: MedsegModelDescription } {
  const where = members.map((m) => m.checkpoint).join(' + ');
  const graph = unetOnnxGraph(
    members.map((m) => m.contents.unet),
    { where },
  );
  const exported: ExportedMember[] = members.map((m) => ({
    checkpoint: m.checkpoint,
    config: m.contents.unet.config,
    training: m.contents.training,
    ...(m.run === undefined ? {} : { run: m.run }),
  }));
  const model = encodeOnnxModel(graph, { metadata: { medseg_model: medsegModelFile }, docString: `medseg U-Net exported from ${where}` });
  return { model, description: describeOnnxExport(exported, model, options) };
}

/**
 * `medseg export --format onnx`: `model.onnx` (the BN-folded U-Net, opset 13, dynamic batch; an ensemble as one
 * graph averaging its members' probabilities) and `medseg-model.json` beside it, both written atomically, the
 * description last so that a folder with a description always has its model.
 */
export async function exportOnnx(options: ExportOnnxOptions): Promise<ExportOnnxResult> {
  if ((await pathExists(options.out)) && (await readdir(options.out).catch(() => ['(not a folder)'])).length > 0 && options.overwrite !== true) {
    throw new ModelExportError('output folder exists and is not empty (pass --overwrite to replace it)', { path: options.out });
  }
  const checkpoints = await Promise.all(options.models.map(resolveRunCheckpoint));
  const members: { checkpoint: string; contents: CheckpointContents; run?: unknown }[] = [];
  try {
    for (const checkpoint of checkpoints) {
      const contents = await loadCheckpoint(checkpoint);
      for (const weights of Object.values(contents.optimizers)) for (const { tensor } of weights) tensor.dispose();
      const run = await runRecord(checkpoint);
      members.push({ checkpoint, contents, ...(run === undefined ? {} : { run }) });
    }
    const { model, description } = onnxExportOf(members, options.threshold === undefined ? {} : { threshold: options.threshold });
    const files = { model: join(options.out, onnxModelFile), description: join(options.out, medsegModelFile) };
    await writeFileAtomic(files.model, model);
    await writeFileAtomic(files.description, `${JSON.stringify(description, null, 2)}\n`);
    return { files, description, bytes: model.byteLength };
  } finally {
    for (const m of members) m.contents.unet.dispose();
  }
}
