import { type DatasetManifest, readDatasetCase, readDatasetManifest } from '@medseg/data';
import { buildSliceSet, type SliceCase, type SliceSet } from './slice-set.js';

export type DatasetSplit = 'train' | 'val' | 'test';

/**
 * The slices of one split of a dataset folder (see docs/contracts.md), resized to the network's input size.
 * Cases are read one at a time so only the resized slices stay in memory.
 */
export async function loadDatasetSlices(dir: string, split: DatasetSplit, size: number, manifest?: DatasetManifest): Promise<SliceSet> {
  const m = manifest ?? (await readDatasetManifest(dir));
  const parts: SliceSet[] = [];
  for (const entry of m.cases.filter((c) => c.split === split)) {
    const { image, mask } = await readDatasetCase(dir, entry);
    const sliceCase: SliceCase = { id: entry.id, image, mask };
    parts.push(buildSliceSet([sliceCase], size));
  }
  return concatSliceSets(parts, size);
}

export function concatSliceSets(parts: readonly SliceSet[], size: number): SliceSet {
  const plane = size * size;
  const count = parts.reduce((sum, p) => sum + p.count, 0);
  const images = new Float32Array(count * plane);
  const masks = new Uint8Array(count * plane);
  const caseIndex = new Int32Array(count);
  const caseIds: string[] = [];
  let n = 0;
  for (const part of parts) {
    images.set(part.images, n * plane);
    masks.set(part.masks, n * plane);
    for (let i = 0; i < part.count; i++) caseIndex[n + i] = caseIds.length + part.caseIndex[i]!;
    caseIds.push(...part.caseIds);
    n += part.count;
  }
  return { images, masks, count, height: size, width: size, caseIndex, caseIds };
}
