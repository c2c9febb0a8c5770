import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentPresets, readNifti, writeNifti } from '@medseg/data';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { ExitCode } from '../context.js';
import { run } from '../main.js';
import { augmentCommand } from './augment.js';
import { captureContext } from '../testing/captureContext.js';

const capture = captureContext;

/**
 * A dataset folder as `medseg ingest` lays it out (docs/contracts.md), made from the IBSI STS NIfTI files of three
 * patients: z-scored float32 images, uint8 masks, and a manifest with the fields `augment` reads.
 */
async function stsDataset(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'medseg-augment-ds-'));
  const cases = [];
  for (const id of ['STS_001', 'STS_002', 'STS_003']) {
    const image = await readNifti(sharedPath(`data/sts/nifti/${id}/MR_T1_image.nii.gz`));
    const mask = await readNifti(sharedPath(`data/sts/nifti/${id}/MR_T1_mask.nii.gz`));
    const raw = Float32Array.from(image.data);
    const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
    const std = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
    mkdirSync(join(dir, 'cases', id), { recursive: true });
    await writeNifti(join(dir, 'cases', id, 'image.nii.gz'), { ...image, data: raw.map((v) => (v - mean) / std) });
    await writeNifti(join(dir, 'cases', id, 'mask.nii.gz'), { ...mask, data: Uint8Array.from(mask.data) });
    const [w, h, d] = mask.shape;
    const foregroundSlices = Array.from({ length: d }, (_, z) => z).filter((z) => mask.data.subarray(z * w * h, (z + 1) * w * h).some((v) => v !== 0));
    cases.push({
      id,
      patientId: id,
      split: 'train',
      shape: mask.shape,
      foregroundSlices,
      files: { image: `cases/${id}/image.nii.gz`, mask: `cases/${id}/mask.nii.gz`, preview: `previews/${id}.png` },
    });
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ schemaVersion: 1, classes: ['background', 'GTV'], cases, skipped: [] }));
  return dir;
}

/** Counts, per tile of the sheet, the pixels PIL decodes as the label-1 outline red. */
function redPerTile(png: string, rows: number, columns: number, tile: number): { size: [number, number]; red: number[] } {
  const script = `import sys, json, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert('RGB')).astype(int)
rows, cols, tile, gap = ${rows}, ${columns}, ${tile}, 4
red = (a[:, :, 0] == 255) & (a[:, :, 1] == 48) & (a[:, :, 2] == 48)
counts = []
for r in range(rows):
  for c in range(cols):
    left = gap + c * (tile + gap) + (2 * gap if c > 0 else 0)
    top = gap + r * (tile + gap)
    counts.append(int(red[top:top + tile, left:left + tile].sum()))
print(json.dumps({"size": [a.shape[1], a.shape[0]], "red": counts}))`;
  const result = spawnSync(debianPython, ['-c', script, png], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { size: [number, number]; red: number[] };
}

let dataset: string;
beforeAll(async () => {
  dataset = await stsDataset();
});

describe('medseg augment --preview', () => {
  it('writes a contact sheet of tumour slices, each with its augmented copies and the mask outlined in every tile', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'medseg-augment-')), 'sheet.png');
    const io = capture();
    const code = await run(['augment', '--dataset', dataset, '--preview', out, '--seed', '3', '--rows', '4', '--variants', '3', '--json'], io.context, [augmentCommand]);
    expect(io.err()).toBe('');
    expect(code).toBe(ExitCode.Ok);
    const report = JSON.parse(io.out()) as { preview: string; rows: number; variants: number; slices: { caseId: string; slice: number }[]; config: unknown };
    expect(report.preview).toBe(out);
    // The resolved config is printed, ready to edit and pass back with --config.
    expect(report.config).toEqual(augmentPresets.default);
    expect([report.rows, report.variants, report.slices.length]).toEqual([4, 3, 4]);
    // Spread over the three patients, and only slices that hold tumour.
    expect(new Set(report.slices.map((s) => s.caseId)).size).toBe(3);
    const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as { cases: { id: string; foregroundSlices: number[] }[] };
    for (const s of report.slices) expect(manifest.cases.find((c) => c.id === s.caseId)!.foregroundSlices).toContain(s.slice);
    const sheet = redPerTile(out, 4, 4, 160);
    expect(sheet.size).toEqual([4 + 4 * 164 + 8, 4 + 4 * 164]);
    // Every tile, original and augmented, shows the tumour outline.
    for (const red of sheet.red) expect(red).toBeGreaterThan(20);
  });

  it('is repeatable with the seed and changes with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-augment-'));
    const render = async (seed: number, name: string) => {
      const io = capture();
      expect(await run(['augment', '--dataset', dataset, '--preview', join(dir, name), '--seed', String(seed), '--rows', '2', '--variants', '2', '--preset', 'heavy'], io.context, [augmentCommand])).toBe(ExitCode.Ok);
      expect(io.out()).toMatch(/wrote .*: 2 slices x \(original \+ 2 augmented\), preset heavy, seed/);
      return readFileSync(join(dir, name));
    };
    const a = await render(1, 'a.png');
    expect((await render(1, 'b.png')).equals(a)).toBe(true);
    expect((await render(2, 'c.png')).equals(a)).toBe(false);
    // An existing sheet is kept unless --overwrite replaces it.
    const again = capture();
    expect(await run(['augment', '--dataset', dataset, '--preview', join(dir, 'a.png'), '--seed', '2', '--rows', '2', '--variants', '2', '--preset', 'heavy'], again.context, [augmentCommand])).toBe(ExitCode.Failure);
    expect(again.err()).toContain(`${join(dir, 'a.png')}: already exists; pass --overwrite`);
    expect(readFileSync(join(dir, 'a.png')).equals(a)).toBe(true);
    const replaced = capture();
    expect(await run(['augment', '--dataset', dataset, '--preview', join(dir, 'a.png'), '--seed', '2', '--rows', '2', '--variants', '2', '--preset', 'heavy', '--overwrite'], replaced.context, [augmentCommand])).toBe(ExitCode.Ok);
    expect(readFileSync(join(dir, 'a.png')).equals(readFileSync(join(dir, 'c.png')))).toBe(true);
  });

  it('runs a JSON config file in place of a preset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-augment-'));
    const config = { crop: { size: [64, 64], foregroundProbability: 1 }, flip: { probability: 0.5, axes: [1] } };
    writeFileSync(join(dir, 'crop.json'), JSON.stringify(config));
    const io = capture();
    const args = ['augment', '--dataset', dataset, '--preview', join(dir, 'crop.png'), '--config', join(dir, 'crop.json'), '--rows', '2', '--variants', '2', '--json'];
    expect(await run(args, io.context, [augmentCommand])).toBe(ExitCode.Ok);
    const report = JSON.parse(io.out()) as { augment: string; config: unknown };
    expect(report.augment).toBe(join(dir, 'crop.json'));
    expect(report.config).toEqual(config);
    // Foreground-centred 64 x 64 crops, drawn 2.5x into 160-pixel tiles, all still outline the tumour.
    for (const red of redPerTile(join(dir, 'crop.png'), 2, 3, 160).red) expect(red).toBeGreaterThan(20);
  });

  it('exits 2 on usage errors and 1, naming the file, on a bad dataset or config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medseg-augment-'));
    expect(await run(['augment', '--dataset', dataset], capture().context, [augmentCommand])).toBe(ExitCode.Usage);
    expect(await run(['augment', '--dataset', dataset, '--preview', join(dir, 'x.png'), '--preset', 'wild'], capture().context, [augmentCommand])).toBe(ExitCode.Usage);
    expect(await run(['augment', '--dataset', dataset, '--preview', join(dir, 'x.png'), '--seed', '-1'], capture().context, [augmentCommand])).toBe(ExitCode.Usage);
    const missing = capture();
    expect(await run(['augment', '--dataset', dir, '--preview', join(dir, 'x.png')], missing.context, [augmentCommand])).toBe(ExitCode.Failure);
    expect(missing.err()).toContain(dir);
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ rotate: { probability: 2, degrees: [-10, 10] } }));
    const bad = capture();
    expect(await run(['augment', '--dataset', dataset, '--preview', join(dir, 'x.png'), '--config', config], bad.context, [augmentCommand])).toBe(ExitCode.Failure);
    expect(bad.err()).toMatch(/bad\.json: augment config: rotate\.probability must be in \[0, 1\]/);
    expect(existsSync(join(dir, 'x.png'))).toBe(false);
  });
});
