/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';
import { serveStaticSite, type StaticSite } from '@medseg/web';

// A tiny run (3 epochs at 64 px on STS_001, validated on STS_002) exported as a web site, served on loopback
// and driven in Debian's Chromium: the page must give `medseg predict`'s labels for STS_002, on WebGL
// (SwiftShader) and on wasm, without a request beyond the site, and show errors for bad input.
const work = mkdtempSync(join(tmpdir(), 'medseg-web-'));
const bin = join(repoRoot, 'apps/cli/bin/medseg.js');
const artifacts = join(repoRoot, 'test-artifacts');
const series = sharedPath('data/sts/dicom/STS_002/image');
const seriesFiles = readdirSync(series).map((f) => join(series, f));
let site: StaticSite;
afterAll(async () => {
  await site?.close();
  rmSync(work, { recursive: true, force: true });
});

function medseg(args: readonly string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 24 });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

beforeAll(async () => {
  mkdirSync(join(work, 'images'));
  for (const id of ['STS_001', 'STS_002']) symlinkSync(sharedPath('data/sts/dicom', id), join(work, 'images', id));
  const steps = [
    ['ingest', '--images', 'images', '--out', 'ds', '--roi', 'GTV*', '--val', '0', '--val-patients', 'STS_002'],
    ['train', '--dataset', 'ds', '--out', 'run', '--epochs', '3', '--lr', '0.01', '--augment', 'none', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', sharedPath('weights/mobilenet_v1_0.25_224')],
    ['predict', '--model', 'run', '--input', series, '--out', 'pred', '--backend', 'wasm'],
    ['export', '--model', 'run', '--format', 'web', '--out', 'site', '--json'],
  ];
  for (const step of steps) {
    const result = medseg(step);
    expect(result.status, `${step[0]}: ${result.err}`).toBe(0);
    if (step[0] === 'export') writeFileSync(join(work, 'export.json'), result.out);
  }
  site = await serveStaticSite(join(work, 'site'));
});

/** Chromium from Debian, nothing downloaded; a fresh profile each time. `--disable-gpu` only for the wasm run. */
async function launch(downloads: string, disableGpu: boolean): Promise<Browser> {
  const flags = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(work, 'profile-'))}`];
  flags.push(...(disableGpu ? ['--disable-gpu'] : ['--enable-unsafe-swiftshader']));
  return puppeteer.launch({ executablePath: '/usr/bin/chromium', args: flags, headless: true, downloadBehavior: { policy: 'allow', downloadPath: downloads } });
}

interface PageRun {
  backend: string;
  seconds: number;
  volume: string;
  errors: string[];
  foreign: string[];
  afterReady: string[];
}

/** Opens the site, loads `files` through the file input, waits for the result or the error, downloads the outputs. */
async function runPage(name: string, query: string, files: readonly string[], disableGpu: boolean): Promise<PageRun & { state: string; error: string; downloads: string }> {
  const downloads = join(work, `downloads-${name}`);
  mkdirSync(downloads);
  const browser = await launch(downloads, disableGpu);
  try {
    const page = await browser.newPage();
    const origin = new URL(site.url).origin;
    const errors: string[] = [];
    const foreign: string[] = [];
    const afterReady: string[] = [];
    let ready = false;
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== origin && url.protocol !== 'blob:' && url.protocol !== 'data:') foreign.push(request.url());
      if (ready && url.protocol !== 'blob:' && url.protocol !== 'data:') afterReady.push(request.url());
    });
    await page.goto(`${site.url}${query}`);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset['state'] ?? ''), { timeout: 30_000 });
    ready = true;
    const input = (await page.$('input#files')) as ElementHandle<HTMLInputElement> | null;
    await input!.uploadFile(...files);
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset['state'] ?? ''), { timeout: 60_000 });
    const shown = await page.evaluate(() => ({
      state: document.body.dataset['state'] ?? '',
      backend: document.body.dataset['backend'] ?? '',
      seconds: Number(document.body.dataset['seconds'] ?? 'NaN'),
      volume: document.getElementById('volume')!.textContent ?? '',
      error: document.getElementById('error')!.textContent ?? '',
    }));
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, `web-page-${name}.png`), fullPage: true });
    if (shown.state === 'done') {
      await page.click('#downloadSeg');
      await page.click('#downloadNifti');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && readdirSync(downloads).filter((f) => !f.endsWith('.crdownload')).length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    return { ...shown, errors, foreign, afterReady, downloads };
  } finally {
    await browser.close();
  }
}

/** Dice between two SEGs of the same source series (pydicom: frames placed by their referenced instance) and two NIfTI label maps (nibabel). */
function compare(seg: string, referenceSeg: string, nifti: string, referenceNifti: string): { segDice: number; niftiDice: number; affine: number; foreground: number } {
  const script = `
import sys, glob, json, numpy as np, nibabel as nib, pydicom
src = [pydicom.dcmread(f, stop_before_pixels=True) for f in glob.glob(sys.argv[5] + '/*')]
index = {d.SOPInstanceUID: k for k, d in enumerate(src)}
def labels(path):
    seg = pydicom.dcmread(path)
    frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
    vol = np.zeros((len(src), seg.Rows, seg.Columns), np.uint8)
    for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
        uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        vol[index[uid]][frames[f] > 0] = item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
    return vol
dice = lambda a, b: float(2 * ((a > 0) & (b > 0)).sum() / max((a > 0).sum() + (b > 0).sum(), 1))
a, b = labels(sys.argv[1]), labels(sys.argv[2])
na, nb = nib.load(sys.argv[3]), nib.load(sys.argv[4])
print(json.dumps({'segDice': dice(a, b), 'niftiDice': dice(np.asarray(na.dataobj), np.asarray(nb.dataobj)),
  'affine': float(np.abs(na.affine - nb.affine).max()), 'foreground': int((b > 0).sum())}))`;
  const result = spawnSync(debianPython, ['-c', script, seg, referenceSeg, nifti, referenceNifti, series], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { segDice: number; niftiDice: number; affine: number; foreground: number };
}

describe('medseg export --format web', () => {
  it('writes a site whose page segments an STS series in Chromium on WebGL and wasm as medseg predict does', async () => {
    const exported = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(work, 'export.json'), 'utf8'))) as { files: { path: string; bytes: number }[]; totalBytes: number; bundleBytes: number };
    expect(exported.files.map((f) => f.path)).toEqual([
      'index.html', 'medseg-model.json', 'medseg-web.js', 'model/0/model.json', 'model/0/weights.bin',
      'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm',
    ]);
    const timings: Record<string, number> = {};
    for (const [name, query, disableGpu, expected] of [['webgl', '', false, 'webgl'], ['wasm', '?backend=wasm', true, 'wasm']] as const) {
      const run = await runPage(name, query, seriesFiles, disableGpu);
      expect(run.error).toBe('');
      expect(run.state).toBe('done');
      expect(run.backend).toBe(expected);
      expect(run.errors).toEqual([]);
      expect(run.foreign).toEqual([]);
      expect(run.afterReady).toEqual([]);
      timings[name] = run.seconds;
      const seg = join(run.downloads, 'STS_002.seg.dcm');
      const nifti = join(run.downloads, 'STS_002.nii.gz');
      expect(existsSync(seg) && existsSync(nifti)).toBe(true);
      const verify = spawnSync('dciodvfy', ['-new', seg], { encoding: 'utf8' });
      expect(`${verify.stdout}${verify.stderr}`.split('\n').filter((line) => /^Error/.test(line))).toEqual([]);
      const check = compare(seg, join(work, 'pred/STS_002.seg.dcm'), nifti, join(work, 'pred/STS_002.nii.gz'));
      expect(check.foreground).toBeGreaterThan(0);
      expect(check.segDice).toBeGreaterThanOrEqual(0.99);
      expect(check.niftiDice).toBeGreaterThanOrEqual(0.99);
      expect(check.affine).toBeLessThan(1e-4);
      const voxels = Number(/\((\d+) voxels\)/.exec(run.volume)?.[1]);
      expect(Math.abs(voxels - check.foreground) / check.foreground).toBeLessThan(0.02);
    }
    console.log(`web export: site ${exported.totalBytes} bytes, script ${exported.bundleBytes} bytes; STS_002 (${seriesFiles.length} slices) segmented in ${timings['webgl']} s on WebGL (SwiftShader), ${timings['wasm']} s on wasm`);
  });

  it('shows the problem in the page for a non-DICOM file and for a series of the wrong modality', async () => {
    const text = join(work, 'notes.txt');
    writeFileSync(text, 'not a DICOM file\n');
    const notDicom = await runPage('not-dicom', '?backend=wasm', [text], true);
    expect(notDicom.state).toBe('error');
    expect(notDicom.error).toMatch(/no DICOM image series.*notes\.txt/);
    const ct = await runPage('wrong-modality', '?backend=wasm', [sharedPath('data/dicom/pydicom/test_files/CT_small.dcm')], true);
    expect(ct.state).toBe('error');
    expect(ct.error).toMatch(/wrong modality: the model was trained on MR series, these files hold CT/);
    for (const run of [notDicom, ct]) {
      expect(run.errors).toEqual([]);
      expect(run.foreign).toEqual([]);
    }
  });
});
