import type { CheckpointContents } from '../checkpoint.js';
import { EngineUnavailableError, ModelExportError } from '../errors.js';
import { onnxExportOf } from '../export/export-onnx.js';
import type { Unet } from '../unet.js';
import { createOnnxEngine, loadOnnxRuntime } from './onnx-engine.js';
import type { EngineName, SliceEngine } from './slice-engine.js';

export interface SelectEngineOptions {
  /** `auto`: ONNX Runtime when it loads and every member exports, else tfjs. */
  engine: EngineName | 'auto';
  /** ONNX Runtime intra-op threads (the cores the user allows). */
  threads: number;
}

export interface SelectedEngines {
  engine: EngineName;
  /** What predictVolume takes: the Unets themselves for tfjs, one ONNX engine per member for onnx. */
  members: readonly (Unet | SliceEngine)[];
  /** One line for the user: which engine runs, and why when auto fell back. */
  description: string;
  dispose(): Promise<void>;
}

/**
 * The engine that runs a prediction's members. For ONNX Runtime each member is exported in memory (the graph
 * `medseg export` writes) and run as its own session, so that an ensemble is averaged on the source grid exactly
 * as the tfjs path averages it.
 */
export async function selectPredictionEngines(members: readonly { checkpoint: string; contents: CheckpointContents }[], options: SelectEngineOptions): Promise<SelectedEngines> {
  const unets = members.map((m) => m.contents.unet);
  const tfjs = (why: string): SelectedEngines => ({ engine: 'tfjs', members: unets, description: `tfjs${why}`, dispose: () => Promise.resolve() });
  if (options.engine === 'tfjs') return tfjs('');
  const engines: SliceEngine[] = [];
  try {
    await loadOnnxRuntime();
    for (const member of members) {
      const { model } = onnxExportOf([member]);
      engines.push(await createOnnxEngine({ model, config: member.contents.unet.config, threads: options.threads, source: member.checkpoint }));
    }
  } catch (error) {
    await Promise.all(engines.map((e) => e.dispose()));
    if (options.engine === 'auto' && (error instanceof EngineUnavailableError || error instanceof ModelExportError)) return tfjs(` (auto: ${error.message})`);
    throw error;
  }
  return {
    engine: 'onnx',
    members: engines,
    description: engines[0]!.description,
    dispose: async () => {
      await Promise.all(engines.map((e) => e.dispose()));
    },
  };
}
