import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianPython } from '../../testing.js';
import { buildCaseMask } from '../dataset/buildCaseMask.js';
import { readDicomSeries } from '../dicom/readDicomSeries.js';
import { scanDicomTree } from '../dicom/scanDicomTree.js';
import { hashString } from '../random.js';
import { createPhantomCase } from './createPhantomCase.js';
import { writePhantomStudy } from './writePhantomStudy.js';

const options = { patients: 2, columns: 64, rows: 56, slices: 10 };
const files = (root: string) => readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();

describe('writePhantomStudy', () => {
  const first = mkdtempSync(join(tmpdir(), 'phantom-a-'));
  const second = mkdtempSync(join(tmpdir(), 'phantom-b-'));
  const other = mkdtempSync(join(tmpdir(), 'phantom-c-'));
  beforeAll(async () => {
    await writePhantomStudy(first, { seed: 5, ...options });
    await writePhantomStudy(second, { seed: 5, ...options });
    await writePhantomStudy(other, { seed: 6, ...options });
  });

  it('refuses to write over a study unless told to overwrite it', async () => {
    await expect(writePhantomStudy(first, { seed: 5, ...options })).rejects.toThrow("already holds the output of an earlier 'medseg phantom'");
    await writePhantomStudy(first, { seed: 5, ...options, overwrite: true });
    expect(files(first).length).toBe(2 * (10 + 1) + 1);
  });

  it('writes the same bytes for the same seed and different images for another seed', () => {
    const a = files(first);
    // Two patients of ten slices and an RTSTRUCT each, and medseg's output marker.
    expect(a.length).toBe(2 * (10 + 1) + 1);
    a.forEach((path, i) => expect(readFileSync(path).equals(readFileSync(files(second)[i]!))).toBe(true));
    const image = (root: string) => files(root).find((f) => f.endsWith('IM0001.dcm'))!;
    expect(readFileSync(image(first)).equals(readFileSync(image(other)))).toBe(false);
  });

  it('writes MR images and an RTSTRUCT that dciodvfy accepts without errors', () => {
    for (const path of [join(first, 'PHANTOM_001/image/IM0004.dcm'), join(first, 'PHANTOM_001/RS.dcm')]) {
      const result = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/^Error/m);
    }
  });

  it('stores pixels that pydicom reads back, and contours that our reader puts on the lesion pixels', async () => {
    const scan = await scanDicomTree(join(first, 'PHANTOM_002'));
    expect(scan.series).toHaveLength(1);
    const series = await readDicomSeries(scan.series[0]!);
    const phantom = createPhantomCase({ seed: hashString('PHANTOM_002', 5), ...options });
    // Slices come back in ImagePositionPatient order, which is the order they were generated in.
    expect(series.volume.data.length).toBe(phantom.pixels.length);
    expect(phantom.pixels.filter((v, i) => series.volume.data[i] !== v).length).toBe(0);
    const script = 'import sys, pydicom, numpy as np; print(int(pydicom.dcmread(sys.argv[1]).pixel_array.astype(np.int64).sum()))';
    const sum = spawnSync(debianPython, ['-c', script, join(first, 'PHANTOM_002/image/IM0003.dcm')], { encoding: 'utf8' });
    expect(Number(sum.stdout)).toBe(phantom.pixels.subarray(2 * 64 * 56, 3 * 64 * 56).reduce((s, v) => s + v, 0));

    const { labels } = await buildCaseMask(series, { kind: 'rtstruct', path: join(first, 'PHANTOM_002/RS.dcm') }, { roi: ['GTV*'], segThreshold: 0.5 });
    const lesionSlices = [...phantom.contours.keys()];
    expect(lesionSlices.length).toBeGreaterThan(0);
    // Inside the lesion the image has the lesion's contrast; the mask must cover exactly those pixels.
    let inside = 0;
    let insideMean = 0;
    let ringMean = 0;
    let ring = 0;
    const [w, h] = [64, 56];
    for (const z of lesionSlices) for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
      const i = x + w * (y + h * z);
      if (labels[i]) {
        inside++;
        insideMean += phantom.pixels[i]!;
      } else if (labels[i - 1] || labels[i + 1] || labels[i - w] || labels[i + w]) {
        ring++;
        ringMean += phantom.pixels[i]!;
      }
    }
    expect(inside).toBeGreaterThan(20);
    const contrast = phantom.lesions[0]!.contrast;
    // A bright lesion is brighter than the ring of pixels just outside its mask, a dark one darker.
    expect(contrast > 1 ? insideMean / inside > (ringMean / ring) * 1.1 : insideMean / inside < (ringMean / ring) * 0.9).toBe(true);
  });
});
