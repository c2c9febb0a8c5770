import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { runMedseg, stsPatient, temporaryFolder } from './support/cli.js';

const ids = Array.from({ length: 36 }, (_, i) => stsPatient(i + 1));
const withImages = new Set(['STS_001', 'STS_002', 'STS_003']);
const chromium = '/usr/bin/chromium';

/**
 * The 36 IBSI masks as truth, and lightly perturbed copies as predictions (nibabel): each case shifted by up to
 * one voxel per axis (zero fill) and, in turn, left alone, eroded or dilated once. A second run is eroded only.
 */
function makeRuns(root: string): void {
  for (const folder of ['truth', 'images']) mkdirSync(join(root, folder));
  for (const id of ids) {
    symlinkSync(sharedPath(`data/sts/nifti/${id}/MR_T1_mask.nii.gz`), join(root, 'truth', `${id}.nii.gz`));
    if (withImages.has(id)) symlinkSync(sharedPath(`data/sts/nifti/${id}/MR_T1_image.nii.gz`), join(root, 'images', `${id}.nii.gz`));
  }
  const script = `
import os, sys
import numpy as np, nibabel as nib
from scipy.ndimage import binary_erosion, binary_dilation, generate_binary_structure
root = sys.argv[1]
st = generate_binary_structure(3, 1)
os.makedirs(os.path.join(root, 'pred')); os.makedirs(os.path.join(root, 'other'))
def shifted(a, s):
    out = np.zeros_like(a)
    src = tuple(slice(max(0, -k), a.shape[i] - max(0, k)) for i, k in enumerate(s))
    dst = tuple(slice(max(0, k), a.shape[i] - max(0, -k)) for i, k in enumerate(s))
    out[dst] = a[src]
    return out
for k, name in enumerate(sorted(os.listdir(os.path.join(root, 'truth')))):
    img = nib.load(os.path.join(root, 'truth', name))
    t = np.asanyarray(img.dataobj) > 0
    p = shifted(t, ((k % 3) - 1, ((k // 3) % 3) - 1, (k % 2)))
    p = [p, binary_erosion(p, st), binary_dilation(p, st)][k % 3]
    for folder, m in (('pred', p), ('other', binary_erosion(t, st))):
        nib.save(nib.Nifti1Image(m.astype(np.uint8), img.affine, img.header), os.path.join(root, folder, name))
`;
  const result = spawnSync(debianPython, ['-c', script, root], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
}

/** Headless Chromium with the given extra flags on a file; stderr carries the page's console with --enable-logging. */
function runChromium(args: readonly string[], target: string) {
  const profile = temporaryFolder('chromium');
  return spawnSync(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args, `file://${target}`],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

const consoleErrors = (stderr: string) => stderr.split('\n').filter((line) => /CONSOLE|Uncaught|Failed to load|ERR_FILE/i.test(line));

describe('medseg eval on the 36 STS masks against perturbed copies', () => {
  const root = temporaryFolder('eval-sts');
  const out = join(root, 'report');
  let printed: { elapsed_ms: number; cases: { case: string; dice: number | null; hd95: number | null }[]; settings: { empty_cases: Record<string, number> } };
  let compared: { comparison: { paired: Record<string, Record<string, { n: number }>> } };
  let wallMs = 0;

  beforeAll(() => {
    makeRuns(root);
    const started = performance.now();
    const single = runMedseg(['eval', '--pred', join(root, 'pred'), '--truth', join(root, 'truth'), '--out', join(root, 'single'), '--json']);
    wallMs = performance.now() - started;
    expect(single.status, single.stderr).toBe(0);
    printed = JSON.parse(single.stdout) as typeof printed;
    const result = runMedseg(['eval', '--pred', join(root, 'pred'), '--truth', join(root, 'truth'), '--images', join(root, 'images'), '--out', out, '--compare', join(root, 'other'), '--json']);
    expect(result.status, result.stderr).toBe(0);
    compared = JSON.parse(result.stdout) as typeof compared;
  });

  it('evaluates every case, well under a second per case', () => {
    expect(printed.cases.map((c) => c.case)).toEqual(ids);
    expect(printed.settings.empty_cases).toEqual({ both: 0, truth_only: 0, pred_only: 0 });
    for (const c of printed.cases) {
      expect(c.dice).toBeGreaterThan(0.7);
      expect(c.hd95).toBeLessThan(10);
    }
    const perCase = printed.elapsed_ms / ids.length;
    console.log(`medseg eval, 36 STS cases: ${printed.elapsed_ms} ms reading and evaluating (${perCase.toFixed(0)} ms per case), ${wallMs.toFixed(0)} ms wall for the whole process`);
    // 3D metrics and the per-slice 2D view of every case, on a machine shared with other test runs.
    expect(perCase).toBeLessThan(1000);
    expect(compared.comparison.paired['1']!['dice']!.n).toBe(36);
  });

  it('writes a report.html that Chromium renders without console errors, showing every case; screenshot in test-artifacts/', () => {
    const html = join(out, 'report.html');
    const dom = runChromium(['--dump-dom'], html);
    expect(dom.status, dom.stderr).toBe(0);
    expect(consoleErrors(dom.stderr)).toEqual([]);
    for (const id of ids) expect(dom.stdout).toContain(`data-case="${id}"`);
    expect(dom.stdout.match(/<img [^>]*src="data:image\/png;base64,/g)?.length).toBe(3);
    expect(dom.stdout).toContain('Paired comparison');
    const artifacts = join(repoRoot, 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'eval-report.png');
    const screenshot = runChromium([`--screenshot=${shot}`, '--window-size=1300,5200', '--hide-scrollbars'], html);
    expect(screenshot.status, screenshot.stderr).toBe(0);
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1300);
  });

  it('detects console errors when a page has them (the check above can fail)', () => {
    const page = join(root, 'broken.html');
    writeFileSync(page, '<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>');
    const result = runChromium(['--dump-dom'], page);
    expect(consoleErrors(result.stderr).join('\n')).toContain('boom');
  });
});
