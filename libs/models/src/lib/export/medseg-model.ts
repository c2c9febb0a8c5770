import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '@medseg/data';
import { outputChannels } from '../decoder.js';
import { ModelLoadError } from '../errors.js';
import { type UnetConfig, unetInputChannels } from '../unet.js';
import { getBackbone } from '../backbones.js';
import { onnxInputName, onnxOpset, onnxOutputName } from './onnx-graph.js';

export const medsegModelFile = 'medseg-model.json';
export const onnxModelFile = 'model.onnx';

/** One exported member: where it came from and what it was trained with. */
export interface ExportedMember {
  /** The checkpoint folder exported. */
  checkpoint: string;
  config: UnetConfig;
  /** The checkpoint's training settings (dataset, normalisation, loss, seed...), as recorded. */
  training: unknown;
  /** The run's run.json, when the run folder has one. */
  run?: unknown;
}

/**
 * `medseg-model.json`: everything a consumer needs to run `model.onnx` without medseg, and what medseg checks
 * before it runs a model it did not just export itself.
 */
export interface MedsegModelDescription {
  format: 'medseg-model';
  version: 1;
  model: { file: string; sha256: string; opset: number; producer: string };
  input: {
    name: string;
    shape: (number | string)[];
    dtype: 'float32';
    layout: 'NHWC';
    /** Neighbouring slices each side given as channels (2.5D); channel k holds slice z - contextSlices + k. */
    contextSlices: number;
    description: string;
  };
  preprocessing: {
    /** The intensity normalisation of the training data (libs/data NormalizationSpec), applied to the volume first. */
    normalization: unknown;
    resize: string;
    /** Done inside the graph: given here so the input is understood, not to be applied again. */
    inGraph: string;
    intensityRange: [number, number];
  };
  output: { name: string; shape: (number | string)[]; layout: 'NHWC'; activation: 'sigmoid' | 'softmax' };
  postprocessing: { threshold: number; rule: string; resizeBack: string };
  /** Label names, index 0 the background. */
  classes: string[];
  ensemble: { members: number; rule: string };
  /** The network of member 1 (all members share input and classes). */
  network: UnetConfig;
  provenance: { exportedBy: string; members: ExportedMember[] };
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface DatasetSettings {
  classes?: readonly string[];
  normalization?: unknown;
}

export function describeOnnxExport(members: readonly ExportedMember[], onnxBytes: Uint8Array, options: { threshold?: number; medsegVersion?: string } = {}): MedsegModelDescription {
  const config = members[0]!.config;
  const size = config.inputSize;
  const channels = unetInputChannels(config);
  const outputs = outputChannels(config.classes);
  const dataset = ((members[0]!.training ?? {}) as { dataset?: DatasetSettings }).dataset ?? {};
  const classes = [...(dataset.classes ?? ['background', ...Array.from({ length: config.classes }, (_, i) => (config.classes === 1 ? 'foreground' : `class ${i + 1}`))])];
  const context = config.contextSlices ?? 0;
  return {
    format: 'medseg-model',
    version: 1,
    model: { file: onnxModelFile, sha256: sha256(onnxBytes), opset: onnxOpset, producer: `medseg ${options.medsegVersion ?? '0.1.0'}` },
    input: {
      name: onnxInputName,
      shape: ['batch', size, size, channels],
      dtype: 'float32',
      layout: 'NHWC',
      contextSlices: context,
      description:
        context === 0
          ? `axial slices, one channel: the normalised intensities of one slice resized to ${size}x${size}`
          : `axial slices with ${context} neighbour(s) each side as channels (slice z-${context} first); beyond the volume the end slice repeats`,
    },
    preprocessing: {
      normalization: dataset.normalization ?? null,
      resize: `each axial slice (x = columns, y = rows) resized bilinearly to ${size}x${size}, half-pixel centres`,
      inGraph: `x' = clip((x - ${config.intensityRange[0]}) * 255 / (${config.intensityRange[1]} - ${config.intensityRange[0]}), 0, 255), then ${
        getBackbone(config.backbone).preprocessing.mode === 'caffe'
          ? 'RGB to BGR and the ImageNet BGR mean (103.939, 116.779, 123.68) subtracted, the Keras caffe preprocessing'
          : '/ 127.5 - 1, the Keras tf preprocessing'
      } of ${config.backbone}; BatchNormalization folded into the convolutions`,
      intensityRange: [config.intensityRange[0], config.intensityRange[1]],
    },
    output: { name: onnxOutputName, shape: ['batch', size, size, outputs], layout: 'NHWC', activation: outputs === 1 ? 'sigmoid' : 'softmax' },
    postprocessing: {
      threshold: options.threshold ?? 0.5,
      rule: outputs === 1 ? 'foreground where probability >= threshold' : 'label = argmax over channels (channel 0 background)',
      resizeBack: 'probabilities resized bilinearly to the source slice grid before the threshold or argmax',
    },
    classes,
    ensemble: {
      members: members.length,
      rule: members.length === 1 ? 'single model' : 'one graph: the mean of the members\' probabilities (ONNX Mean), as medseg predict averages an ensemble',
    },
    network: config,
    provenance: { exportedBy: `medseg ${options.medsegVersion ?? '0.1.0'}`, members: [...members] },
  };
}

/** An export folder read back and checked: its description, and the model's bytes matching its checksum. */
export interface OnnxExport {
  folder: string;
  description: MedsegModelDescription;
  model: Uint8Array;
}

/**
 * Reads an ONNX export folder (or the `model.onnx` inside one). An ONNX file without its `medseg-model.json`
 * is refused: medseg cannot know its preprocessing, channels or classes, and would predict garbage.
 */
export async function readOnnxExport(path: string): Promise<OnnxExport> {
  const folder = path.endsWith('.onnx') ? join(path, '..') : path;
  const descriptionPath = join(folder, medsegModelFile);
  if (!(await pathExists(descriptionPath))) {
    throw new ModelLoadError(`no ${medsegModelFile} beside the ONNX model: medseg runs only models it exported (their input layout, normalisation and classes are stated there)`, { path: path.endsWith('.onnx') ? path : join(folder, onnxModelFile) });
  }
  let description: MedsegModelDescription;
  try {
    description = JSON.parse(await readFile(descriptionPath, 'utf8')) as MedsegModelDescription;
  } catch (cause) {
    throw new ModelLoadError('not valid JSON', { path: descriptionPath, cause });
  }
  if (description?.format !== 'medseg-model' || description.version !== 1 || typeof description.model?.file !== 'string' || description.network === undefined) {
    throw new ModelLoadError('not a medseg-model description (format medseg-model, version 1)', { path: descriptionPath });
  }
  if (description.model.file.includes('/') || description.model.file.includes('\\') || description.model.file.startsWith('.')) {
    throw new ModelLoadError(`model.file "${description.model.file}" must name a file in the same folder`, { path: descriptionPath });
  }
  const modelPath = join(folder, description.model.file);
  let model: Uint8Array;
  try {
    model = await readFile(modelPath);
  } catch (cause) {
    throw new ModelLoadError('cannot read the ONNX model its medseg-model.json names', { path: modelPath, cause });
  }
  if (sha256(model) !== description.model.sha256) {
    throw new ModelLoadError(`corrupt or replaced: its sha256 differs from the one in ${medsegModelFile}`, { path: modelPath });
  }
  return { folder, description, model };
}
