import type * as Ort from 'onnxruntime-node';
import { outputChannels } from '../decoder.js';
import { EngineUnavailableError, ModelLoadError } from '../errors.js';
import { onnxInputName, onnxOutputName } from '../export/onnx-graph.js';
import type { PredictSlicesOptions } from '../predict-slices.js';
import { type UnetConfig, unetInputChannels } from '../unet.js';
import type { SliceEngine } from './slice-engine.js';
import { flipTta } from './tta.js';

type OrtModule = typeof Ort;
let ortModule: Promise<OrtModule> | null = null;
/** A variable, not a literal: bundlers (the web export's esbuild) leave a native addon out of browser bundles. */
const ortPackage = 'onnxruntime-node';

/** onnxruntime-node, loaded on first use (an optional dependency: a failed install leaves medseg on tfjs). */
export async function loadOnnxRuntime(): Promise<OrtModule> {
  ortModule ??= (import(ortPackage) as Promise<unknown>).then(
    (m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule,
    (error: unknown) => {
      ortModule = null;
      throw new EngineUnavailableError(`ONNX Runtime is not available (onnxruntime-node did not load: ${error instanceof Error ? error.message : String(error)}); use --engine tfjs`, { cause: error });
    },
  );
  return ortModule;
}

/** Whether onnxruntime-node loads on this machine. */
export async function onnxRuntimeAvailable(): Promise<boolean> {
  try {
    await loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

export interface CreateOnnxEngineOptions {
  /** The ONNX model's bytes (as encodeOnnxModel gives them). */
  model: Uint8Array;
  /** The network it was exported from (input size, channels, classes). */
  config: UnetConfig;
  /** Intra-op threads (the cores the user allows); 1 when absent. */
  threads?: number;
  /** Named in errors: the file the model came from, or the run it was exported from. */
  source: string;
}

/**
 * A SliceEngine running an exported medseg ONNX graph (input `slices` [batch, size, size, channels], output
 * `probabilities` [batch, size, size, outputs]) in ONNX Runtime's native CPU provider, batch by batch.
 */
export async function createOnnxEngine(options: CreateOnnxEngineOptions): Promise<SliceEngine> {
  const ort = await loadOnnxRuntime();
  const threads = options.threads ?? 1;
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(options.model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  } catch (error) {
    throw new ModelLoadError(`ONNX Runtime cannot load this model: ${error instanceof Error ? error.message : String(error)}`, { path: options.source, cause: error });
  }
  if (!session.inputNames.includes(onnxInputName) || !session.outputNames.includes(onnxOutputName)) {
    await session.release();
    throw new ModelLoadError(`not a medseg ONNX model: inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]; expected ${onnxInputName} -> ${onnxOutputName}`, { path: options.source });
  }
  const { config } = options;
  const size = config.inputSize;
  const plane = size * size;
  const inputs = unetInputChannels(config);
  const outputs = outputChannels(config.classes);
  const forward = async (images: Float32Array, n: number): Promise<Float32Array> => {
    const feeds = { [onnxInputName]: new ort.Tensor('float32', images, [n, size, size, inputs]) };
    const result = await session.run(feeds);
    const probabilities = result[onnxOutputName]!;
    const data = probabilities.data as Float32Array;
    const copy = Float32Array.from(data);
    probabilities.dispose();
    return copy;
  };
  return {
    engine: 'onnx',
    config,
    description: `onnx (onnxruntime-node ${ort.env.versions.node ?? ''}, CPU, ${threads} thread${threads === 1 ? '' : 's'})`,
    predictSlices: async (images: Float32Array, count: number, slicesOptions: PredictSlicesOptions = {}) => {
      if (images.length !== count * plane * inputs) {
        throw new RangeError(`predictSlices: images holds ${images.length} values, expected ${count} x ${size} x ${size} x ${inputs}`);
      }
      const batchSize = slicesOptions.batchSize ?? 8;
      const out = new Float32Array(count * plane * outputs);
      for (let start = 0; start < count; start += batchSize) {
        const n = Math.min(batchSize, count - start);
        const batch = images.slice(start * plane * inputs, (start + n) * plane * inputs);
        const probs = slicesOptions.tta === true ? await flipTta((x) => forward(x, n), batch, n, size, inputs, outputs) : await forward(batch, n);
        out.set(probs, start * plane * outputs);
      }
      return out;
    },
    dispose: () => session.release(),
  };
}
