/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';
import { type MedsegModel, validateMedsegModel } from '@medseg/models';
import { serveStaticSite, type StaticSite } from '@medseg/web';

// A tiny run (3 epochs at 64 px on STS_001, validated on STS_002) exported as a web site, served on loopback
// and driven in Debian's Chromium: the page must give `medseg predict`'s labels for STS_002, on WebGL
// (SwiftShader) and on wasm, without a request beyond the site, and show errors for bad input.
const work = mkdtempSync(join(tmpdir(), 'medseg-web-'));
const bin = join(repoRoot, 'apps/cli/bin/medseg.js');
const artifacts = join(repoRoot, 'test-artifacts');
const series = sharedPath('data/sts/dicom/STS_002/image');
const slices = readdirSync(series).length;
const enhanced = sharedPath('data/dicom/dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm');
/** Case id → NIfTI file of `medseg predict` on the other inputs. */
const referenceCases = new Map<string, string>();
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
  mkdirSync(join(work, 'inputs'));
  symlinkSync(series, join(work, 'inputs/STS_002'));
  symlinkSync(enhanced, join(work, 'inputs/enhanced.dcm'));
  symlinkSync(sharedPath('data/dicom/dcm_qa_ts/In/1.dcm'), join(work, 'inputs/ts1.dcm'));
  // A syntax no reader of ours decodes (MPEG-2): 5.dcm's encapsulated frame under another UID.
  const mpeg = spawnSync(debianPython, ['-c', "import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); d.file_meta.TransferSyntaxUID = '1.2.840.10008.1.2.4.100'; d.save_as(sys.argv[2], write_like_original=True)", sharedPath('data/dicom/dcm_qa_ts/In/5.dcm'), join(work, 'mpeg2.dcm')], { cwd: work, encoding: 'utf8' });
  expect(mpeg.status, mpeg.stderr).toBe(0);
  const steps = [
    ['ingest', '--images', 'images', '--out', 'ds', '--roi', 'GTV*', '--val', '0', '--val-patients', 'STS_002'],
    ['train', '--dataset', 'ds', '--out', 'run', '--no-plan', '--epochs', '3', '--lr', '0.01', '--augment', 'none', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', sharedPath('weights/mobilenet_v1_0.25_224')],
    // The threshold is the run's choice on validation; the largest component and flip TTA are forced on so that
    // the page's whole-volume cleanup and its mirrored passes are exercised whatever the 3-epoch run chose.
    ['export', '--model', 'run', '--format', 'web', '--out', 'site', '--largest-component', '--tta', '--json'],
    // The references, in one run: the STS series, a multi-frame file and one image of the 9-syntax set, with the
    // export's post-processing (the run's threshold, the flags' cleanup and TTA).
    ['predict', '--model', 'run', '--input', 'inputs', '--out', 'pred', '--backend', 'wasm', '--largest-component', '--tta'],
    // Without TTA: the page's labels must be nearer the TTA reference than these are, or the test cannot see TTA.
    ['predict', '--model', 'run', '--input', series, '--out', 'pred-plain', '--backend', 'wasm', '--largest-component', '--no-tta', '--no-seg'],
    ['convert', series, '-o', 'sts002.nii.gz'],
  ];
  for (const step of steps) {
    const result = medseg(step);
    expect(result.status, `${step[0]}: ${result.err}`).toBe(0);
    if (step[0] === 'export') writeFileSync(join(work, 'export.json'), result.out);
  }
  const record = JSON.parse(readFileSync(join(work, 'pred/predictions.json'), 'utf8')) as { cases: { id: string; files: { nifti: string } }[] };
  for (const c of record.cases) referenceCases.set(c.id, c.files.nifti);
  site = await serveStaticSite(join(work, 'site'));
});

/** Chromium from Debian, nothing downloaded; a fresh profile each time. `--disable-gpu` only for the wasm runs. */
async function launch(downloads: string, disableGpu: boolean): Promise<Browser> {
  const flags = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(work, 'profile-'))}`];
  flags.push(...(disableGpu ? ['--disable-gpu'] : ['--enable-unsafe-swiftshader']));
  return puppeteer.launch({ executablePath: '/usr/bin/chromium', args: flags, headless: true, downloadBehavior: { policy: 'allow', downloadPath: downloads } });
}

interface PageLog {
  /** Uncaught exceptions and console errors. */
  errors: string[];
  /** Requests to anything but the site (blob: and data: URLs are the page's own memory). */
  foreign: string[];
  /** Requests of any kind to the network after the page said it was ready. */
  afterReady: string[];
}

interface Shown {
  state: string;
  backend: string;
  seconds: number;
  volume: string;
  error: string;
  /** The page's model line (backbone, classes, modality, backend). */
  header: string;
}

/** Opens the site and waits until the page has its model (or failed), logging every request and error. */
async function openSite(browser: Browser, query: string): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage();
  const origin = new URL(site.url).origin;
  const log: PageLog = { errors: [], foreign: [], afterReady: [] };
  let ready = false;
  page.on('pageerror', (error) => log.errors.push(String(error)));
  page.on('console', (message) => void (message.type() === 'error' && log.errors.push(message.text())));
  page.on('request', (request) => {
    const url = new URL(request.url());
    const own = url.protocol === 'blob:' || url.protocol === 'data:';
    if (url.origin !== origin && !own) log.foreign.push(request.url());
    if (ready && !own) log.afterReady.push(request.url());
  });
  await page.goto(`${site.url}${query}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset['state'] ?? ''), { timeout: 30_000 });
  ready = true;
  return { page, log };
}

/**
 * Gives `files` to one of the page's file inputs (`#files`, or `#folder` for a folder, which Chromium walks as a
 * user's folder pick) and waits for the result or the error it shows.
 */
async function segmentFiles(page: Page, files: readonly string[], screenshot?: string, inputId = 'files'): Promise<Shown> {
  await page.evaluate(() => void (document.body.dataset['state'] = 'uploading'));
  const input = (await page.$(`input#${inputId}`)) as ElementHandle<HTMLInputElement> | null;
  await input!.uploadFile(...files);
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset['state'] ?? ''), { timeout: 60_000 });
  const shown = await page.evaluate(() => ({
    state: document.body.dataset['state'] ?? '',
    backend: document.body.dataset['backend'] ?? '',
    seconds: Number(document.body.dataset['seconds'] ?? 'NaN'),
    volume: document.getElementById('volume')!.textContent ?? '',
    error: document.getElementById('error')!.textContent ?? '',
    header: document.getElementById('model')!.textContent ?? '',
  }));
  if (screenshot !== undefined) {
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, `web-page-${screenshot}.png`), fullPage: true });
  }
  return shown;
}

/** The bytes behind one of the page's download links (a blob: URL, read inside the page). */
async function linkBytes(page: Page, id: string): Promise<Buffer> {
  const base64 = await page.evaluate(async (linkId) => {
    const bytes = new Uint8Array(await (await fetch((document.getElementById(linkId) as HTMLAnchorElement).href)).arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  }, id);
  return Buffer.from(base64, 'base64');
}

/** Segments the STS series in a fresh browser, then downloads the SEG and the NIfTI through the page's links. */
async function runPage(name: string, query: string, disableGpu: boolean): Promise<Shown & PageLog & { downloads: string }> {
  const downloads = join(work, `downloads-${name}`);
  mkdirSync(downloads);
  const browser = await launch(downloads, disableGpu);
  try {
    const { page, log } = await openSite(browser, query);
    const shown = await segmentFiles(page, [series], name, 'folder');
    if (shown.state === 'done') {
      await page.click('#downloadSeg');
      await page.click('#downloadNifti');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && readdirSync(downloads).filter((f) => !f.endsWith('.crdownload')).length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    return { ...shown, ...log, downloads };
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
    const exported = JSON.parse(readFileSync(join(work, 'export.json'), 'utf8')) as { files: { path: string; bytes: number }[]; totalBytes: number; bundleBytes: number };
    expect(exported.files.map((f) => f.path)).toEqual([
      'index.html', 'medseg-model.json', 'medseg-web.js', 'model/0/model.json', 'model/0/weights.bin',
      'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm', 'tfjs-backend-wasm.wasm',
    ]);
    // One medseg-model.json, the libs/models record with its web part; classes show the dataset's display labels.
    const model = JSON.parse(readFileSync(join(work, 'site', 'medseg-model.json'), 'utf8')) as MedsegModel;
    expect(validateMedsegModel(model, 'site', 'web').web!.members).toEqual(['model/0/model.json']);
    const dataset = JSON.parse(readFileSync(join(work, 'ds', 'manifest.json'), 'utf8')) as { classInfo: { key: string; label: string }[] };
    expect(model.classes.map((c) => [c.key, c.label])).toEqual(dataset.classInfo.map((c) => [c.key, c.label]));
    expect(dataset.classInfo[1]!.label).not.toBe('GTV*');
    const chosen = (JSON.parse(readFileSync(join(work, 'run', 'run.json'), 'utf8')) as { postprocessing: { chosen: { threshold: number } } }).postprocessing.chosen;
    expect(model.postprocessing).toMatchObject({ threshold: chosen.threshold, largestComponent: true, tta: true, chosenBy: { threshold: 'run', largestComponent: 'flag', tta: 'flag' } });
    const plain = readdirSync(join(work, 'pred-plain')).filter((f) => f.endsWith('.nii.gz'));
    expect(plain).toHaveLength(1);
    const withoutTta = compare(join(work, 'pred/STS_002.seg.dcm'), join(work, 'pred/STS_002.seg.dcm'), join(work, 'pred-plain', plain[0]!), join(work, 'pred/STS_002.nii.gz'));
    // TTA moves this model's labels by more than the page may differ from predict (Dice 0.99 below).
    expect(withoutTta.niftiDice).toBeLessThan(0.99);
    expect(model.members[0]!.weightsSha256).toBe(createHash('sha256').update(readFileSync(join(work, 'site', 'model', '0', 'weights.bin'))).digest('hex'));
    const timings: Record<string, number> = {};
    for (const [name, query, disableGpu, expected] of [['webgl', '', false, 'webgl'], ['wasm', '?backend=wasm', true, 'wasm']] as const) {
      const run = await runPage(name, query, disableGpu);
      expect(run.error).toBe('');
      expect(run.state).toBe('done');
      expect(run.backend).toBe(expected);
      expect(run.errors).toEqual([]);
      expect(run.foreign).toEqual([]);
      expect(run.afterReady).toEqual([]);
      expect(run.header).toContain(`classes: ${dataset.classInfo[1]!.label};`);
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
    console.log(`web export: site ${exported.totalBytes} bytes, script ${exported.bundleBytes} bytes; STS_002 (${slices} slices) segmented with flip TTA in ${timings['webgl']} s on WebGL (SwiftShader), ${timings['wasm']} s on wasm; predict's Dice without TTA against with it ${withoutTta.niftiDice.toFixed(3)}`);
  });

  it('reads a multi-frame file, a NIfTI and every lossless syntax as medseg predict does, and shows what is wrong with bad input', async () => {
    const browser = await launch(join(work, 'downloads-other'), true);
    try {
      const { page, log } = await openSite(browser, '?backend=wasm');
      const niftiPairs: [string, string][] = [];
      const keep = async (name: string, reference: string) => {
        const file = join(work, `page-${name}.nii.gz`);
        writeFileSync(file, await linkBytes(page, 'downloadNifti'));
        niftiPairs.push([file, reference]);
      };
      // One multi-frame enhanced MR file (Philips, 2 frames per position), and the STS series as a NIfTI.
      expect(await segmentFiles(page, [enhanced])).toMatchObject({ state: 'done', error: '' });
      await keep('enhanced', join(work, 'pred', referenceCases.get('ROGERS_20180526')!));
      expect(await segmentFiles(page, [join(work, 'sts002.nii.gz')])).toMatchObject({ state: 'done', error: '' });
      await keep('nifti', join(work, 'pred/STS_002.nii.gz'));
      // The same MR image in 9 syntaxes (native little/big endian, implicit, RLE, JPEG lossless, JPEG-LS, JPEG 2000).
      for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
        expect(await segmentFiles(page, [sharedPath(`data/dicom/dcm_qa_ts/In/${n}.dcm`)]), `${n}.dcm`).toMatchObject({ state: 'done', error: '' });
        await keep(`ts${n}`, join(work, 'pred', referenceCases.get('crlab')!));
      }
      const script = `
import sys, json, numpy as np, nibabel as nib
out = []
for a, b in zip(sys.argv[1::2], sys.argv[2::2]):
    x, y = nib.load(a), nib.load(b)
    p, q = np.asarray(x.dataobj) > 0, np.asarray(y.dataobj) > 0
    out.append({'shape': p.shape == q.shape, 'affine': float(np.abs(x.affine - y.affine).max()), 'dice': 1.0 if p.sum() + q.sum() == 0 else float(2 * (p & q).sum() / (p.sum() + q.sum())), 'foreground': int(q.sum())})
print(json.dumps(out))`;
      const compared = spawnSync(debianPython, ['-c', script, ...niftiPairs.flat()], { cwd: work, encoding: 'utf8' });
      expect(compared.status, compared.stderr).toBe(0);
      for (const [i, check] of (JSON.parse(compared.stdout) as { shape: boolean; affine: number; dice: number; foreground: number }[]).entries()) {
        expect(check.shape, niftiPairs[i]![0]).toBe(true);
        expect(check.affine, niftiPairs[i]![0]).toBeLessThan(1e-3);
        expect(check.dice, niftiPairs[i]![0]).toBeGreaterThanOrEqual(0.99);
      }

      const text = join(work, 'notes.txt');
      writeFileSync(text, 'not a DICOM file\n');
      const notDicom = await segmentFiles(page, [text], 'not-dicom');
      expect(notDicom.state).toBe('error');
      expect(notDicom.error).toMatch(/no DICOM image series among the files: notes\.txt/);
      const ct = await segmentFiles(page, [sharedPath('data/dicom/pydicom/test_files/CT_small.dcm')], 'wrong-modality');
      expect(ct).toMatchObject({ state: 'error', error: expect.stringMatching(/wrong modality: the model was trained on MR series, these files hold CT/) as unknown });
      const mpeg = await segmentFiles(page, [join(work, 'mpeg2.dcm')], 'unsupported-syntax');
      expect(mpeg).toMatchObject({ state: 'error', error: expect.stringMatching(/mpeg2\.dcm: unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100/) as unknown });
      expect(log.errors).toEqual([]);
      expect(log.foreign).toEqual([]);
      expect(log.afterReady).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
