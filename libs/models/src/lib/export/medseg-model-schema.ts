import type { NormalizationSpec } from '@medseg/data';
import { ModelLoadError } from '../errors.js';
import type { RunClass, RunRecord } from '../run-record-schema.js';
import type { PostprocessingSource } from '../resolve-postprocessing.js';
import type { UnetConfig } from '../unet.js';

export const medsegModelFile = 'medseg-model.json';
export const MEDSEG_MODEL_VERSION = 2;

/** One exported member: its checkpoint, the sha256 of its weights.bin, and its run record. */
export interface MedsegModelMember {
  readonly checkpoint: string;
  readonly weightsSha256: string;
  /** The run record (run.json, else the one inside the checkpoint, else migrated from an older checkpoint). */
  readonly run: RunRecord;
}

/** The ONNX part: the graph file beside the record and how an ensemble is combined in it. */
export interface MedsegModelOnnx {
  readonly file: string;
  readonly sha256: string;
  readonly opset: number;
  readonly producer: string;
  readonly inputName: string;
  readonly inputShape: readonly (number | string)[];
  readonly outputName: string;
  readonly outputShape: readonly (number | string)[];
  /** What the graph does before the network (intensity scaling, backbone preprocessing, folded BN). */
  readonly inGraph: string;
  readonly ensemble: { readonly members: number; readonly rule: string };
}

/** The web part: each member's TF.js weights manifest (`model.json` beside its `weights.bin`), relative to the site. */
export interface MedsegModelWeb {
  readonly members: readonly string[];
}

/**
 * `medseg-model.json`, the one description of an exported model (ONNX or web): everything a consumer needs to
 * prepare its input and read its output, where it came from, and a per-format part.
 */
export interface MedsegModel {
  readonly format: 'medseg-model';
  readonly version: typeof MEDSEG_MODEL_VERSION;
  readonly task: 'segmentation';
  readonly exportedBy: string;
  readonly input: {
    readonly size: number;
    readonly channels: number;
    /** Neighbouring slices each side given as channels (2.5D); channel k holds slice z - contextSlices + k. */
    readonly contextSlices: number;
    readonly layout: 'NHWC';
    readonly dtype: 'float32';
    readonly description: string;
  };
  readonly preprocessing: {
    /** The modality of the training series; null when unknown (then any series is accepted). */
    readonly modality: string | null;
    /** The intensity normalisation of the training data (libs/data NormalizationSpec), applied to the volume first. */
    readonly normalization: NormalizationSpec | null;
    readonly resize: string;
    /** The normalised intensities the network's [0, 255] input range maps from. */
    readonly intensityRange: readonly [number, number];
  };
  /** Every label value, 0 the background: its key (the ingest pattern), display label and matched ROI names. */
  readonly classes: readonly RunClass[];
  readonly postprocessing: {
    readonly threshold: number;
    /** Keep only the largest 3D connected component of each label, over the whole volume; absent in exports before it (false). */
    readonly largestComponent?: boolean;
    /** Flip test-time augmentation: the mean of the probabilities of the slice and its three mirror images; absent in exports before it (false). */
    readonly tta?: boolean;
    /** Where each setting came from: the run's choice on validation, an export flag, or the default (tta absent in exports before it). */
    readonly chosenBy?: { readonly threshold: PostprocessingSource; readonly largestComponent: PostprocessingSource; readonly tta?: PostprocessingSource };
    readonly activation: 'sigmoid' | 'softmax';
    readonly rule: string;
    readonly resizeBack: string;
  };
  /** The network of member 1 (all members share input and classes). */
  readonly network: UnetConfig;
  readonly members: readonly MedsegModelMember[];
  readonly onnx?: MedsegModelOnnx;
  readonly web?: MedsegModelWeb;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isSafeName = (name: string) => name !== '' && !name.includes('\\') && !name.startsWith('/') && !name.split('/').some((part) => part === '..' || part === '' || part.startsWith('.'));

/**
 * Checks a parsed `medseg-model.json` field by field (the first bad one is named), for the format asked for.
 * Used by both readers (the ONNX engine, the web page) and by both writers before they write.
 */
export function validateMedsegModel(value: unknown, path: string, format?: 'onnx' | 'web'): MedsegModel {
  const fail = (field: string, expected: string): never => {
    throw new ModelLoadError(`medseg-model.json field '${field}' must be ${expected}`, { path });
  };
  if (!isObject(value) || value['format'] !== 'medseg-model') return fail('format', "'medseg-model'");
  if (value['version'] !== MEDSEG_MODEL_VERSION) return fail('version', `${MEDSEG_MODEL_VERSION} (re-export the model with this medseg)`);
  for (const field of ['input', 'preprocessing', 'postprocessing', 'network'] as const) if (!isObject(value[field])) fail(field, 'an object');
  const input = value['input'] as Record<string, unknown>;
  for (const field of ['size', 'channels', 'contextSlices'] as const) if (typeof input[field] !== 'number' || !Number.isInteger(input[field]) || (input[field] as number) < 0) fail(`input.${field}`, 'a non-negative integer');
  if (input['channels'] !== 2 * (input['contextSlices'] as number) + 1) fail('input.channels', '2 * contextSlices + 1');
  const pre = value['preprocessing'] as Record<string, unknown>;
  if (pre['modality'] !== null && typeof pre['modality'] !== 'string') fail('preprocessing.modality', 'a string or null');
  if (pre['normalization'] !== null && !isObject(pre['normalization'])) fail('preprocessing.normalization', 'an object or null');
  const classes = value['classes'];
  if (!Array.isArray(classes) || classes.length < 2) fail('classes', 'a list of at least 2 (background first)');
  for (const [i, c] of (classes as unknown[]).entries()) {
    if (!isObject(c) || c['value'] !== i || typeof c['key'] !== 'string' || typeof c['label'] !== 'string' || !Array.isArray(c['roiNames'])) fail(`classes[${i}]`, `{ value: ${i}, key, label, roiNames }`);
  }
  const post = value['postprocessing'] as Record<string, unknown>;
  if (typeof post['threshold'] !== 'number' || !(post['threshold'] > 0 && post['threshold'] < 1)) fail('postprocessing.threshold', 'a number in (0, 1)');
  for (const field of ['largestComponent', 'tta'] as const) if (post[field] !== undefined && typeof post[field] !== 'boolean') fail(`postprocessing.${field}`, 'true or false');
  if (post['chosenBy'] !== undefined) {
    const chosenBy = post['chosenBy'];
    const sources: readonly unknown[] = ['run', 'flag', 'default'];
    if (!isObject(chosenBy) || !sources.includes(chosenBy['threshold']) || !sources.includes(chosenBy['largestComponent']) || (chosenBy['tta'] !== undefined && !sources.includes(chosenBy['tta']))) {
      fail('postprocessing.chosenBy', "{ threshold, largestComponent, tta }, each 'run', 'flag' or 'default'");
    }
  }
  const members = value['members'];
  if (!Array.isArray(members) || members.length === 0) fail('members', 'a non-empty list');
  for (const [i, m] of (members as unknown[]).entries()) {
    if (!isObject(m) || typeof m['checkpoint'] !== 'string' || typeof m['weightsSha256'] !== 'string' || !isObject(m['run'])) fail(`members[${i}]`, '{ checkpoint, weightsSha256, run }');
  }
  if (format === 'onnx' || value['onnx'] !== undefined) {
    const onnx = value['onnx'];
    if (!isObject(onnx) || typeof onnx['file'] !== 'string' || typeof onnx['sha256'] !== 'string') return fail('onnx', '{ file, sha256, ... }');
    if (onnx['file'].includes('/') || !isSafeName(onnx['file'])) fail('onnx.file', 'a file name in the same folder');
  }
  if (format === 'web' || value['web'] !== undefined) {
    const web = value['web'];
    if (!isObject(web) || !Array.isArray(web['members']) || web['members'].length !== (members as unknown[]).length) return fail('web.members', 'one weights manifest path per member');
    for (const [i, p] of (web['members'] as unknown[]).entries()) if (typeof p !== 'string' || !isSafeName(p)) fail(`web.members[${i}]`, 'a relative path inside the site');
  }
  return value as unknown as MedsegModel;
}

/** The record as the file's bytes (validated first: a writer never writes what a reader refuses). */
export function medsegModelJson(record: MedsegModel, path: string): string {
  validateMedsegModel(JSON.parse(JSON.stringify(record)) as unknown, path);
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Display labels, background first (what headers, reports and SEG segment labels show). */
export function medsegModelLabels(record: Pick<MedsegModel, 'classes'>): string[] {
  return record.classes.map((c) => c.label);
}
