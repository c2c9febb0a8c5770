import { type CrossValidationFold, crossValidationSplits, type DatasetManifest, readDatasetCase, readDatasetManifest } from '@medseg/data';
import { ModelOptionsError } from './errors.js';
import { inputChannels } from './slice-context.js';
import { buildSliceSet, type SliceCase, type SliceSet } from './slice-set.js';

export type DatasetSplit = 'train' | 'val' | 'test';

export interface LoadDatasetSlicesOptions {
  /** The folder's manifest, when the caller has read it already. */
  manifest?: DatasetManifest;
  /** Neighbouring slices on either side as extra channels (see volumeSliceStack). */
  contextSlices?: number;
  /** Splits from this cross-validation fold instead of the manifest's train/val (test stays test). */
  fold?: CrossValidationFold;
}

/** Each case's split: the manifest's own, or the cross-validation fold's. */
export function datasetCaseSplits(manifest: DatasetManifest, fold?: CrossValidationFold): DatasetSplit[] {
  return fold === undefined ? manifest.cases.map((c) => c.split) : crossValidationSplits(manifest.cases, fold);
}

/**
 * The slices of one split of a dataset folder (see docs/contracts.md), resized to the network's input size,
 * with `contextSlices` neighbours each side as channels. Cases are read one at a time so only the resized
 * slices stay in memory. Training slices without foreground are left out when the dataset was ingested with
 * `--drop-empty` (their neighbours' context is taken from the whole volume first); validation always sees every
 * slice.
 */
export async function loadDatasetSlices(dir: string, split: DatasetSplit, size: number, options: LoadDatasetSlicesOptions = {}): Promise<SliceSet> {
  const m = options.manifest ?? (await readDatasetManifest(dir));
  const contextSlices = options.contextSlices ?? 0;
  const dropEmpty = split === 'train' && m.settings.emptySlices === 'drop';
  const splits = datasetCaseSplits(m, options.fold);
  const parts: SliceSet[] = [];
  for (const entry of m.cases.filter((_, i) => splits[i] === split)) {
    const { image, mask } = await readDatasetCase(dir, entry);
    const sliceCase: SliceCase = { id: entry.id, image, mask };
    const all = buildSliceSet([sliceCase], size, contextSlices);
    parts.push(dropEmpty ? keepSlices(all, entry.foregroundSlices) : all);
  }
  return concatSliceSets(parts, size, inputChannels(contextSlices));
}

/** The given slices of a set, in that order. */
function keepSlices(set: SliceSet, slices: readonly number[]): SliceSet {
  const plane = set.height * set.width;
  const inputPlane = plane * set.channels;
  const images = new Float32Array(slices.length * inputPlane);
  const masks = new Uint8Array(slices.length * plane);
  slices.forEach((z, k) => {
    images.set(set.images.subarray(z * inputPlane, (z + 1) * inputPlane), k * inputPlane);
    masks.set(set.masks.subarray(z * plane, (z + 1) * plane), k * plane);
  });
  return { ...set, images, masks, count: slices.length, caseIndex: Int32Array.from(slices, (z) => set.caseIndex[z]!) };
}

/** The sets one after another; all must have `channels` input channels (1 when none is given). */
export function concatSliceSets(parts: readonly SliceSet[], size: number, channels = 1): SliceSet {
  const plane = size * size;
  const count = parts.reduce((sum, p) => sum + p.count, 0);
  for (const part of parts) {
    if (part.channels !== channels) throw new ModelOptionsError(`concatSliceSets: a set has ${part.channels} input channel(s), expected ${channels}`);
  }
  const images = new Float32Array(count * plane * channels);
  const masks = new Uint8Array(count * plane);
  const caseIndex = new Int32Array(count);
  const caseIds: string[] = [];
  let n = 0;
  for (const part of parts) {
    images.set(part.images, n * plane * channels);
    masks.set(part.masks, n * plane);
    for (let i = 0; i < part.count; i++) caseIndex[n + i] = caseIds.length + part.caseIndex[i]!;
    caseIds.push(...part.caseIds);
    n += part.count;
  }
  return { images, masks, count, height: size, width: size, channels, caseIndex, caseIds };
}
