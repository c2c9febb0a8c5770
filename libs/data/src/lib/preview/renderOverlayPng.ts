import sharp from 'sharp';

export interface OverlayTile {
  /** Row-major grey values; mapped to 0..255 between the tile's 1st and 99th percentiles. */
  readonly image: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  /** Label maps to outline, each in its own colour (truth first, then prediction, say). */
  readonly outlines: readonly Uint8Array[];
}

const outlineColours: readonly (readonly [number, number, number])[] = [
  [255, 40, 40],
  [40, 220, 255],
  [255, 210, 0],
];

function percentileOf(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((q / 100) * (sorted.length - 1))))] ?? 0;
}

/**
 * Draws tiles side by side: each a grey slice with the boundary of each label map outlined (a labelled pixel
 * with a 4-neighbour of another label). Deterministic bytes for the same input.
 */
export async function renderOverlayPng(tiles: readonly OverlayTile[], gap = 4): Promise<Buffer> {
  if (tiles.length === 0) throw new RangeError('renderOverlayPng: no tiles');
  const height = Math.max(...tiles.map((t) => t.height));
  const width = tiles.reduce((sum, t) => sum + t.width, 0) + gap * (tiles.length - 1);
  const rgb = new Uint8Array(width * height * 3);
  let left = 0;
  for (const tile of tiles) {
    const low = percentileOf(tile.image, 1);
    const high = percentileOf(tile.image, 99);
    const scale = high > low ? 255 / (high - low) : 0;
    for (let y = 0; y < tile.height; y++) {
      for (let x = 0; x < tile.width; x++) {
        const i = y * tile.width + x;
        const grey = Math.max(0, Math.min(255, Math.round((tile.image[i]! - low) * scale)));
        let colour: readonly [number, number, number] = [grey, grey, grey];
        tile.outlines.forEach((labels, k) => {
          const v = labels[i]!;
          if (v === 0) return;
          const edge = x === 0 || y === 0 || x === tile.width - 1 || y === tile.height - 1 ||
            labels[i - 1] !== v || labels[i + 1] !== v || labels[i - tile.width] !== v || labels[i + tile.width] !== v;
          if (edge) colour = outlineColours[k % outlineColours.length]!;
        });
        const o = (y * width + left + x) * 3;
        rgb[o] = colour[0];
        rgb[o + 1] = colour[1];
        rgb[o + 2] = colour[2];
      }
    }
    left += tile.width + gap;
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}
