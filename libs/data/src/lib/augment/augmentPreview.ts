import { readDatasetCase, readDatasetManifest } from '../dataset/readDataset.js';
import type { DatasetCase } from '../dataset/datasetTypes.js';
import { createRng } from '../random.js';
import type { Volume } from '../volume.js';
import type { AugmentConfig, AugmentPreset } from './augmentConfig.js';
import { AugmentInputError } from './augmentErrors.js';
import { createAugmentPipeline } from './augmentPipeline.js';
import { renderContactSheet } from './contactSheet.js';
import { sliceBatchFromVolumes, slicePair, stackSlicePairs, type SlicePair } from './sliceBatch.js';

export interface AugmentPreviewOptions {
  readonly augment: AugmentPreset | AugmentConfig;
  readonly seed: number;
  /** Slices shown, one row each (default 6). */
  readonly rows?: number;
  /** Augmented versions per slice (default 5). */
  readonly variants?: number;
  /** Cases to draw from (default train; every case when the split is empty). */
  readonly split?: 'train' | 'val' | 'test';
  readonly tileSize?: number;
}

export interface AugmentPreview {
  readonly png: Buffer;
  /** The slice of each row: case id and 0-based slice index. */
  readonly slices: readonly { readonly caseId: string; readonly slice: number }[];
  readonly rows: number;
  readonly variants: number;
  /** The config the pipeline ran (a preset resolved), to save, edit and pass back as a config file. */
  readonly config: AugmentConfig;
}

/**
 * Slices worth showing: those whose tumour area is at least a quarter of the case's largest (a one-pixel tip of a
 * tumour says little about alignment); every slice when the case has no foreground.
 */
function previewSlices(mask: Volume<Uint8Array>): number[] {
  const [width, height, depth] = mask.shape;
  const area = Array.from({ length: depth }, (_, z) => mask.data.subarray(z * width * height, (z + 1) * width * height).reduce((n, v) => n + (v === 0 ? 0 : 1), 0));
  const largest = Math.max(0, ...area);
  const slices = area.flatMap((a, z) => (largest > 0 && a >= largest / 4 ? [z] : []));
  return slices.length > 0 ? slices : Array.from({ length: depth }, (_, z) => z);
}

/**
 * A contact sheet of a dataset's slices and their augmentations, for a person to look at before training:
 * tumour slices (of at least a quarter of the case's largest tumour area) drawn with the seed from the split's cases (spread over as many cases as there are rows), each
 * shown as read and then as `variants` independent draws of the pipeline.
 */
export async function augmentPreview(dataset: string, options: AugmentPreviewOptions): Promise<AugmentPreview> {
  const rows = options.rows ?? 6;
  const variants = options.variants ?? 5;
  if (!Number.isInteger(rows) || rows < 1) throw new AugmentInputError(`augmentPreview: rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(variants) || variants < 1) throw new AugmentInputError(`augmentPreview: variants must be a positive integer, got ${variants}`);
  const pipeline = createAugmentPipeline(options.augment, { seed: options.seed });
  const manifest = await readDatasetManifest(dataset);
  const split = options.split ?? 'train';
  const inSplit = manifest.cases.filter((c) => c.split === split);
  const pool = inSplit.length > 0 ? inSplit : manifest.cases;
  if (pool.length === 0) throw new AugmentInputError('the dataset has no cases', { path: dataset });

  const rng = createRng(options.seed).child('preview');
  // A seeded shuffle of the cases (Fisher-Yates), preferring those with tumour, then round robin over them.
  const order = [...pool].sort((a, b) => Number(b.foregroundSlices.length > 0) - Number(a.foregroundSlices.length > 0));
  const withTumour = order.filter((c) => c.foregroundSlices.length > 0).length;
  const shuffle = (from: number, to: number) => {
    for (let i = to - 1; i > from; i--) {
      const j = rng.int(from, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  };
  shuffle(0, withTumour);
  shuffle(withTumour, order.length);

  const volumes = new Map<string, { image: Volume<Float32Array>; mask: Volume<Uint8Array> }>();
  const load = async (entry: DatasetCase) => {
    let loaded = volumes.get(entry.id);
    if (!loaded) {
      loaded = await readDatasetCase(dataset, entry);
      volumes.set(entry.id, loaded);
    }
    return loaded;
  };

  const slices: { caseId: string; slice: number }[] = [];
  const sheet: SlicePair[][] = [];
  for (let r = 0; r < rows; r++) {
    const entry = order[r % order.length]!;
    const { image, mask } = await load(entry);
    // Without replacement within a case, so rows that revisit a case show another slice while there is one.
    const all = previewSlices(mask);
    const unused = all.filter((z) => !slices.some((s) => s.caseId === entry.id && s.slice === z));
    const candidates = unused.length > 0 ? unused : all;
    const z = candidates[rng.int(0, candidates.length)]!;
    const original = slicePair(sliceBatchFromVolumes(image, mask, [z]), 0);
    const augmented = pipeline.apply(stackSlicePairs(Array.from({ length: variants }, () => original)), rng.child(`row-${r}`));
    sheet.push([original, ...Array.from({ length: variants }, (_, i) => slicePair(augmented, i))]);
    slices.push({ caseId: entry.id, slice: z });
  }
  const png = await renderContactSheet(sheet, options.tileSize === undefined ? {} : { tileSize: options.tileSize });
  return { png, slices, rows, variants, config: pipeline.config };
}
