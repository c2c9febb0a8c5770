import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@medseg/data';
import { afterAll, describe, expect, it } from 'vitest';
import { runPython, tempFolder } from '../../testing/python.js';
import { encodePng } from './encodePng.js';

const tmp = tempFolder();
afterAll(() => tmp.dispose());

describe('encodePng', () => {
  it('writes PNGs that PIL decodes to the same pixels', () => {
    const rng = createRng(3);
    const sizes = [[1, 1], [7, 5], [64, 33]] as const;
    const files = sizes.map(([w, h], k) => {
      const rgb = Uint8Array.from({ length: w * h * 3 }, () => rng.int(0, 256));
      const path = join(tmp.path, `img${k}.png`);
      writeFileSync(path, encodePng(rgb, w, h));
      return { path, w, h, rgb: [...rgb] };
    });
    const decoded = runPython<{ size: [number, number]; mode: string; pixels: number[] }[]>(
      'from PIL import Image\nimport numpy as np\nout=[]\nfor f in inp:\n    im=Image.open(f)\n    out.append(dict(size=list(im.size), mode=im.mode, pixels=np.asarray(im).ravel().tolist()))\nprint(json.dumps(out))',
      files.map((f) => f.path),
    );
    files.forEach((f, k) => {
      expect(decoded[k]!.size).toEqual([f.w, f.h]);
      expect(decoded[k]!.mode).toBe('RGB');
      expect(decoded[k]!.pixels).toEqual(f.rgb);
    });
  });
});
