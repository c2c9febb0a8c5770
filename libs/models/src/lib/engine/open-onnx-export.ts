import { join } from 'node:path';
import { readOnnxExport, type MedsegModel } from '../export/medseg-model.js';
import { createOnnxEngine } from './onnx-engine.js';
import type { SliceEngine } from './slice-engine.js';

/**
 * An ONNX export folder (or its model.onnx) as a SliceEngine, after readOnnxExport's checks: a foreign ONNX file
 * without medseg-model.json, a changed or corrupt model.onnx, or one ONNX Runtime cannot load are refused by path.
 */
export async function openOnnxExport(path: string, options: { threads?: number } = {}): Promise<{ engine: SliceEngine; description: MedsegModel }> {
  const { folder, description, model } = await readOnnxExport(path);
  const engine = await createOnnxEngine({ model, config: description.network, threads: options.threads ?? 1, source: join(folder, description.onnx.file) });
  return { engine, description };
}
