import sharp from 'sharp';
import { AugmentInputError } from './augmentErrors.js';
import type { SlicePair } from './sliceBatch.js';

export interface ContactSheetOptions {
  /** Pixels per tile side; slices are scaled by nearest neighbour to fit, keeping their aspect. Default 160. */
  readonly tileSize?: number;
  /** Pixels between tiles; the original column gets a wider gap after it. Default 4. */
  readonly gap?: number;
}

/** Outline colours by label (1 = red, 2 = green, 3 = blue, ...), cycling. */
const labelColours: readonly (readonly [number, number, number])[] = [
  [255, 48, 48],
  [48, 230, 80],
  [64, 140, 255],
  [255, 210, 0],
  [230, 80, 255],
  [0, 230, 230],
];
const background = 40;

/** Intensity at a quantile of the values (nearest rank). */
function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? 0;
}

/**
 * A PNG contact sheet: one row per slice, the original first and then its augmented versions, each a grey image
 * with every label's boundary outlined in its colour (a labelled pixel with a 4-neighbour of another label, at
 * tile resolution so outlines stay one pixel thin). A row shares one grey window, the original's 1st to 99th
 * percentile, so that brightness, contrast and gamma changes show.
 */
export async function renderContactSheet(rows: readonly (readonly SlicePair[])[], options: ContactSheetOptions = {}): Promise<Buffer> {
  const tileSize = options.tileSize ?? 160;
  const gap = options.gap ?? 4;
  const columns = Math.max(0, ...rows.map((row) => row.length));
  if (rows.length === 0 || columns === 0) throw new AugmentInputError('renderContactSheet: no slices to draw');
  const separator = 3 * gap;
  const width = gap + columns * (tileSize + gap) + (columns > 1 ? separator - gap : 0);
  const height = gap + rows.length * (tileSize + gap);
  const rgb = new Uint8Array(width * height * 3).fill(background);

  rows.forEach((row, r) => {
    const original = row[0]!;
    const sorted = Float32Array.from(original.image).sort();
    const low = quantile(sorted, 0.01);
    const high = quantile(sorted, 0.99);
    const scale = high > low ? 255 / (high - low) : 0;
    row.forEach((pair, c) => {
      const zoom = tileSize / Math.max(pair.height, pair.width);
      const tileW = Math.max(1, Math.round(pair.width * zoom));
      const tileH = Math.max(1, Math.round(pair.height * zoom));
      const left = gap + c * (tileSize + gap) + (c > 0 ? separator - gap : 0) + Math.floor((tileSize - tileW) / 2);
      const top = gap + r * (tileSize + gap) + Math.floor((tileSize - tileH) / 2);
      // Source pixel of each tile pixel, by nearest neighbour.
      const sourceX = Int32Array.from({ length: tileW }, (_, x) => Math.min(pair.width - 1, Math.floor((x + 0.5) / zoom)));
      const sourceY = Int32Array.from({ length: tileH }, (_, y) => Math.min(pair.height - 1, Math.floor((y + 0.5) / zoom)));
      const labelAt = (x: number, y: number): number =>
        x < 0 || y < 0 || x >= tileW || y >= tileH ? 0 : pair.mask[sourceY[y]! * pair.width + sourceX[x]!]!;
      for (let y = 0; y < tileH; y++) {
        for (let x = 0; x < tileW; x++) {
          const s = sourceY[y]! * pair.width + sourceX[x]!;
          const o = ((top + y) * width + left + x) * 3;
          const label = pair.mask[s]!;
          if (label !== 0 && (labelAt(x - 1, y) !== label || labelAt(x + 1, y) !== label || labelAt(x, y - 1) !== label || labelAt(x, y + 1) !== label)) {
            const colour = labelColours[(label - 1) % labelColours.length]!;
            rgb[o] = colour[0];
            rgb[o + 1] = colour[1];
            rgb[o + 2] = colour[2];
          } else {
            const grey = Math.max(0, Math.min(255, Math.round((pair.image[s]! - low) * scale)));
            rgb[o] = grey;
            rgb[o + 1] = grey;
            rgb[o + 2] = grey;
          }
        }
      }
    });
  });
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
