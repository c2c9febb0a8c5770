import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianPython } from '../../testing.js';
import { renderContactSheet } from './contactSheet.js';
import type { SlicePair } from './sliceBatch.js';

/** Decodes a PNG with PIL (an independent decoder): size and RGB bytes. */
function pil(png: Buffer): { width: number; height: number; rgb: Buffer } {
  const file = join(mkdtempSync(join(tmpdir(), 'medseg-sheet-')), 'sheet.png');
  writeFileSync(file, png);
  const script = `import sys
from PIL import Image
im = Image.open(sys.argv[1])
assert im.format == 'PNG', im.format
rgb = im.convert('RGB')
sys.stdout.buffer.write(b'%d %d\\n' % rgb.size + rgb.tobytes())`;
  const result = spawnSync(debianPython, ['-c', script, file], { maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  const newline = result.stdout.indexOf(10);
  const [width, height] = result.stdout.subarray(0, newline).toString().split(' ').map(Number) as [number, number];
  return { width, height, rgb: result.stdout.subarray(newline + 1) };
}

/** A 10 x 20 ramp (value = x) with a label-1 square at x 4..9, y 2..7 and a label-2 pixel block at x 14..15, y 4..5. */
function pair(offset: number): SlicePair {
  const [height, width] = [10, 20];
  const image = new Float32Array(height * width);
  const mask = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      image[y * width + x] = x + offset;
      if (x >= 4 && x <= 9 && y >= 2 && y <= 7) mask[y * width + x] = 1;
      if (x >= 14 && x <= 15 && y >= 4 && y <= 5) mask[y * width + x] = 2;
    }
  }
  return { image, mask, height, width };
}

describe('renderContactSheet', () => {
  it('lays out one row per slice, outlines each label in its colour and shares the grey window along a row', async () => {
    const png = await renderContactSheet([[pair(0), pair(5)], [pair(0), pair(0)]], { tileSize: 40, gap: 4 });
    const { width, height, rgb } = pil(png);
    // Two columns of 40 with gaps 4 + (3 * 4 separator) + 4 ; two rows of 40 with three gaps of 4.
    expect([width, height]).toEqual([4 + 40 + 12 + 40 + 4, 4 + 2 * (40 + 4)]);
    const at = (x: number, y: number) => [...rgb.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
    // Tiles are scaled x2 (20 px wide into 40); the first tile starts at (4, 4 + 10) since 20 rows fit in 40 centred.
    const tile = (column: number, row: number, x: number, y: number) =>
      at((column === 0 ? 4 : 4 + 40 + 12) + x, 4 + row * 44 + 10 + y);
    // Label 1's left edge (source x 4 -> tile x 8..9): the outer tile pixel is red, the one inside is grey.
    expect(tile(0, 0, 8, 8)).toEqual([255, 48, 48]);
    expect(tile(0, 0, 10, 8)[0]).toBe(tile(0, 0, 10, 8)[1]);
    // Label 2's block is outlined in green.
    expect(tile(0, 0, 28, 8)).toEqual([48, 230, 80]);
    // Grey = (value - p1) / (p99 - p1) * 255 with the original's window: source x 2 holds 2, window [0, 19].
    expect(tile(0, 0, 4, 0)).toEqual([27, 27, 27]);
    // The brighter variant (+5) in the same row uses that window too, so it looks brighter: (7 / 19) * 255.
    expect(tile(1, 0, 4, 0)).toEqual([94, 94, 94]);
    // Row 2 repeats the original unchanged.
    expect(tile(1, 1, 4, 0)).toEqual([27, 27, 27]);
  });

  it('refuses an empty sheet', async () => {
    await expect(renderContactSheet([])).rejects.toThrow(/no slices/);
  });
});
