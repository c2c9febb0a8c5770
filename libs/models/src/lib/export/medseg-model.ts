import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { medsegVersion, pathExists } from '@medseg/data';
import { getBackbone } from '../backbones.js';
import { defaultPostprocessing } from '../choose-postprocessing.js';
import { outputChannels } from '../decoder.js';
import { ModelLoadError } from '../errors.js';
import type { ResolvedPostprocessing } from '../resolve-postprocessing.js';
import { type UnetConfig, unetInputChannels } from '../unet.js';
import { type MedsegModel, type MedsegModelMember, type MedsegModelOnnx, MEDSEG_MODEL_VERSION, medsegModelFile, validateMedsegModel } from './medseg-model-schema.js';
import { onnxInputName, onnxOpset, onnxOutputName } from './onnx-graph.js';

export type { MedsegModel, MedsegModelMember, MedsegModelOnnx, MedsegModelWeb } from './medseg-model-schema.js';
export { MEDSEG_MODEL_VERSION, medsegModelFile, medsegModelJson, medsegModelLabels, validateMedsegModel } from './medseg-model-schema.js';

export const onnxModelFile = 'model.onnx';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface DescribeMedsegModelOptions {
  /** `onnx` or `web`: the export's format, named in exportedBy. */
  readonly format: 'onnx' | 'web';
  /** How probabilities become labels (modelsPostprocessing: the run's choice unless a flag overrides it); absent: threshold 0.5, every component. */
  readonly postprocessing?: Pick<ResolvedPostprocessing, 'threshold' | 'largestComponent' | 'tta' | 'sources'>;
  /** Overrides the training data's modality (the run record's). */
  readonly modality?: string;
}

/**
 * The format-independent part of `medseg-model.json`, from the members' run records (classes with labels,
 * normalisation, modality) and the first member's network; the caller adds `onnx` or `web`.
 */
export function describeMedsegModel(members: readonly MedsegModelMember[], options: DescribeMedsegModelOptions): Omit<MedsegModel, 'onnx' | 'web'> {
  const first = members[0];
  if (first === undefined) throw new ModelLoadError('no model to describe', { path: '' });
  const config: UnetConfig = first.run.model;
  const size = config.inputSize;
  const context = config.contextSlices ?? 0;
  const outputs = outputChannels(config.classes);
  const post = options.postprocessing ?? { ...defaultPostprocessing, tta: false, sources: { threshold: 'default', largestComponent: 'default', tta: 'default' } };
  const recorded = first.run.dataset.classes;
  const classes =
    recorded.length === config.classes + 1
      ? recorded.map((c) => ({ value: c.value, key: c.key, label: c.label, roiNames: [...c.roiNames] }))
      : ['background', ...Array.from({ length: config.classes }, (_, i) => (config.classes === 1 ? 'foreground' : `class ${i + 1}`))].map((key, value) => ({ value, key, label: key, roiNames: [] }));
  return {
    format: 'medseg-model',
    version: MEDSEG_MODEL_VERSION,
    task: 'segmentation',
    exportedBy: `medseg ${medsegVersion} export --format ${options.format}`,
    input: {
      size,
      channels: unetInputChannels(config),
      contextSlices: context,
      layout: 'NHWC',
      dtype: 'float32',
      description:
        context === 0
          ? `axial slices, one channel: the normalised intensities of one slice resized to ${size}x${size}`
          : `axial slices with ${context} neighbour(s) each side as channels (slice z-${context} first); beyond the volume the end slice repeats`,
    },
    preprocessing: {
      modality: options.modality ?? first.run.dataset.modality,
      normalization: first.run.dataset.normalization ?? first.run.training.dataset?.normalization ?? null,
      resize: `each axial slice (x = columns, y = rows) resized bilinearly to ${size}x${size}, half-pixel centres`,
      intensityRange: [config.intensityRange[0], config.intensityRange[1]],
    },
    classes,
    postprocessing: {
      threshold: post.threshold,
      largestComponent: post.largestComponent,
      tta: post.tta,
      chosenBy: post.sources,
      activation: outputs === 1 ? 'sigmoid' : 'softmax',
      rule: `${post.tta ? 'probabilities = the mean over the slice as given, flipped left-right, up-down and both (each flipped back); then ' : ''}${outputs === 1 ? 'foreground where probability >= threshold' : 'label = argmax over channels (channel 0 background)'}${
        post.largestComponent ? ', then only the largest 6-connected 3D component of each label in the whole volume' : ''
      }`,
      resizeBack: 'probabilities resized bilinearly to the source slice grid before the threshold or argmax',
    },
    network: config,
    members: [...members],
  };
}

/** The ONNX part of the record for a graph of `members` members of network `config`. */
export function onnxPart(config: UnetConfig, members: number, onnxBytes: Uint8Array): MedsegModelOnnx {
  const size = config.inputSize;
  const [lo, hi] = config.intensityRange;
  return {
    file: onnxModelFile,
    sha256: sha256(onnxBytes),
    opset: onnxOpset,
    producer: `medseg ${medsegVersion}`,
    inputName: onnxInputName,
    inputShape: ['batch', size, size, unetInputChannels(config)],
    outputName: onnxOutputName,
    outputShape: ['batch', size, size, outputChannels(config.classes)],
    inGraph: `x' = clip((x - ${lo}) * 255 / (${hi} - ${lo}), 0, 255), then ${
      getBackbone(config.backbone).preprocessing.mode === 'caffe'
        ? 'RGB to BGR and the ImageNet BGR mean (103.939, 116.779, 123.68) subtracted, the Keras caffe preprocessing'
        : '/ 127.5 - 1, the Keras tf preprocessing'
    } of ${config.backbone}; BatchNormalization folded into the convolutions`,
    ensemble: {
      members,
      rule: members === 1 ? 'single model' : "one graph: the mean of the members' probabilities (ONNX Mean), as medseg predict averages an ensemble",
    },
  };
}

/** An export folder read back and checked: its description, and the model's bytes matching its checksum. */
export interface OnnxExport {
  folder: string;
  description: MedsegModel & { onnx: MedsegModelOnnx };
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(descriptionPath, 'utf8'));
  } catch (cause) {
    throw new ModelLoadError('not valid JSON', { path: descriptionPath, cause });
  }
  const description = validateMedsegModel(parsed, descriptionPath, 'onnx') as MedsegModel & { onnx: MedsegModelOnnx };
  const modelPath = join(folder, description.onnx.file);
  let model: Uint8Array;
  try {
    model = await readFile(modelPath);
  } catch (cause) {
    throw new ModelLoadError('cannot read the ONNX model its medseg-model.json names', { path: modelPath, cause });
  }
  if (sha256(model) !== description.onnx.sha256) {
    throw new ModelLoadError(`corrupt or replaced: its sha256 differs from the one in ${medsegModelFile}`, { path: modelPath });
  }
  return { folder, description, model };
}
