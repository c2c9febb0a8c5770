import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, writeFileAtomic } from '@medseg/data';
import { type CheckpointContents, checkpointFolder, loadCheckpoint } from '../checkpoint.js';
import { ModelExportError } from '../errors.js';
import { modelsPostprocessing, resolveModels } from '../resolve-models.js';
import type { PostprocessingFlags } from '../resolve-postprocessing.js';
import { readRunRecord } from '../run-record.js';
import { describeMedsegModel, type MedsegModel, type MedsegModelMember, medsegModelFile, medsegModelJson, onnxModelFile, onnxPart, sha256 } from './medseg-model.js';
import { unetOnnxGraph } from './onnx-graph.js';
import { encodeOnnxModel } from './write-onnx.js';

/** A member as the record names it: its checkpoint, its weights' sha256 and its run record. */
async function exportedMember(checkpoint: string): Promise<MedsegModelMember> {
  const folder = (await checkpointFolder(checkpoint)) ?? checkpoint;
  const weights = await readFile(join(folder, 'weights.bin'));
  return { checkpoint, weightsSha256: sha256(weights), run: await readRunRecord(checkpoint) };
}

export interface ExportOnnxOptions {
  /** Training runs (a `train --folds` run: its folds) or checkpoint folders; several export as one ensemble graph. */
  models: readonly string[];
  out: string;
  /** Settings that override the models' post-processing chosen on validation (each one given). */
  postprocessing?: PostprocessingFlags;
  /** Write into a folder that is not empty (model.onnx and medseg-model.json are replaced). */
  overwrite?: boolean;
}

export interface ExportOnnxResult {
  files: { model: string; description: string };
  description: MedsegModel;
  bytes: number;
}

/** The ONNX bytes and description of already loaded checkpoints (what `medseg export` and `predict --engine onnx` share). */
export function onnxExportOf(members: readonly { checkpoint: string; contents: CheckpointContents }[]): { model: Uint8Array } {
  const where = members.map((m) => m.checkpoint).join(' + ');
  const graph = unetOnnxGraph(
    members.map((m) => m.contents.unet),
    { where },
  );
  const model = encodeOnnxModel(graph, { metadata: { medseg_model: medsegModelFile }, docString: `medseg U-Net exported from ${where}` });
  return { model };
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
  // A cross-validation run exports as the ensemble of its folds.
  const models = await resolveModels(options.models);
  const postprocessing = modelsPostprocessing(models, options.postprocessing ?? {});
  const checkpoints = models.map((m) => m.checkpoint);
  const members: { checkpoint: string; contents: CheckpointContents }[] = [];
  const described: MedsegModelMember[] = [];
  try {
    for (const checkpoint of checkpoints) {
      const contents = await loadCheckpoint(checkpoint);
      for (const weights of Object.values(contents.optimizers)) for (const { tensor } of weights) tensor.dispose();
      members.push({ checkpoint, contents });
      described.push(await exportedMember(checkpoint));
    }
    const { model } = onnxExportOf(members);
    const base = describeMedsegModel(described, { format: 'onnx', postprocessing });
    const description: MedsegModel = { ...base, onnx: onnxPart(base.network, members.length, model) };
    const files = { model: join(options.out, onnxModelFile), description: join(options.out, medsegModelFile) };
    const json = medsegModelJson(description, files.description);
    await writeFileAtomic(files.model, model);
    await writeFileAtomic(files.description, json);
    return { files, description, bytes: model.byteLength };
  } finally {
    for (const m of members) m.contents.unet.dispose();
  }
}
