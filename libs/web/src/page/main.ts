import '../browser/installGlobals.js';
import { clearVirtualFiles, putVirtualFile } from '../browser/virtualFs.js';
import { medsegModelLabels } from '@medseg/models';
import { loadWebModel, type WebModel } from './loadWebModel.js';
import { type PageBackend, pageBackends, pickBackend } from './pickBackend.js';
import { automaticWindow, renderSlice } from './renderSlice.js';
import { segmentStudy, type SegmentedSeries } from './segmentStudy.js';

// The page: load the model, take files, segment them with the libs/data + libs/models code, show and offer
// the result. Every step reports in #status; every failure lands in #error with the file at fault.
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const base = new URL('./', location.href);
const inputRoot = '/input';
let model: WebModel | undefined;
let backend = '';
let urls: string[] = [];

function status(text: string): void {
  $('status').textContent = text;
}

function showError(error: unknown): void {
  const path = (error as { path?: string }).path;
  const message = error instanceof Error ? error.message : String(error);
  const shown = path !== undefined && !message.includes(path) ? `${path.replace(`${inputRoot}/`, '')}: ${message}` : message.replaceAll(`${inputRoot}/`, '');
  $('error').textContent = shown;
  document.body.dataset['state'] = 'error';
  status('');
  ($('progress') as HTMLProgressElement).hidden = true;
}

/** A relative path from a file name the browser gives, kept inside the in-memory input tree. */
function safeRelativePath(name: string): string {
  const parts = name.split(/[\\/]+/).filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.length === 0 ? 'file' : parts.join('/');
}

async function filesFromDrop(items: DataTransferItemList): Promise<{ path: string; file: File }[]> {
  const out: { path: string; file: File }[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ path: `${prefix}${entry.name}`, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  const entries = [...items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  for (const entry of entries) await walk(entry, '');
  return out;
}

function view(result: SegmentedSeries): void {
  const [w, h, d] = result.image.shape;
  const canvas = $<HTMLCanvasElement>('view');
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext('2d')!;
  const pixels = context.createImageData(w, h);
  const window = result.window ?? automaticWindow(result.image.data);
  let min = Infinity;
  let max = -Infinity;
  for (const v of result.image.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const slice = $<HTMLInputElement>('slice');
  const level = $<HTMLInputElement>('level');
  const width = $<HTMLInputElement>('width');
  const opacity = $<HTMLInputElement>('opacity');
  slice.max = String(d - 1);
  let best = 0;
  let bestCount = -1;
  for (let z = 0; z < d; z++) {
    let n = 0;
    for (let i = z * w * h; i < (z + 1) * w * h; i++) if (result.labels.data[i] !== 0) n++;
    if (n > bestCount) [best, bestCount] = [z, n];
  }
  slice.value = String(best);
  Object.assign(level, { min: String(min), max: String(max), step: String((max - min) / 500 || 1), value: String(window.center) });
  Object.assign(width, { min: String((max - min) / 500 || 1), max: String(2 * (max - min) || 1), step: String((max - min) / 500 || 1), value: String(window.width) });
  const draw = () => {
    const z = Number(slice.value);
    renderSlice(result.image.data.subarray(z * w * h, (z + 1) * w * h), result.labels.data.subarray(z * w * h, (z + 1) * w * h), w, h, { center: Number(level.value), width: Number(width.value), opacity: Number(opacity.value) / 100 }, pixels.data);
    context.putImageData(pixels, 0, 0);
    $('sliceText').textContent = `${z + 1} / ${d}`;
    $('levelText').textContent = Number(level.value).toFixed(0);
    $('widthText').textContent = Number(width.value).toFixed(0);
  };
  for (const input of [slice, level, width, opacity]) input.oninput = draw;
  canvas.onwheel = (event) => {
    event.preventDefault();
    slice.value = String(Math.max(0, Math.min(d - 1, Number(slice.value) + Math.sign(event.deltaY))));
    draw();
  };
  draw();
}

function offer(id: string, bytes: Uint8Array | undefined, name: string, type: string): void {
  const link = $<HTMLAnchorElement>(id);
  link.hidden = bytes === undefined;
  if (bytes === undefined) return;
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  urls.push(url);
  link.href = url;
  link.download = name;
}

async function segment(files: { path: string; file: File }[]): Promise<void> {
  if (model === undefined) return;
  $('error').textContent = '';
  $('result').hidden = true;
  document.body.dataset['state'] = 'running';
  for (const url of urls) URL.revokeObjectURL(url);
  urls = [];
  clearVirtualFiles(inputRoot);
  const progress = $<HTMLProgressElement>('progress');
  progress.hidden = false;
  try {
    let nifti: string | undefined;
    for (const [i, { path, file }] of files.entries()) {
      status(`reading files ${i + 1}/${files.length}`);
      const target = `${inputRoot}/${safeRelativePath(path)}`;
      putVirtualFile(target, new Uint8Array(await file.arrayBuffer()));
      if (/\.nii(\.gz)?$/i.test(target)) nifti ??= target;
    }
    const started = performance.now();
    const result = await segmentStudy(model, inputRoot, nifti, (stage, done, total) => {
      status(`${stage} ${done}/${total}`);
      progress.max = Math.max(total, 1);
      progress.value = done;
    });
    const seconds = (performance.now() - started) / 1000;
    $('series').textContent = result.description;
    $('volume').textContent = `${result.volumeMl.toFixed(2)} mL (${result.foregroundVoxels} voxels)`;
    $('timing').textContent = `segmented in ${seconds.toFixed(1)} s on ${backend}${result.skipped.length > 0 ? `; ${result.skipped.length} file(s) skipped` : ''}`;
    document.body.dataset['seconds'] = seconds.toFixed(3);
    offer('downloadSeg', result.seg, `${result.name}.seg.dcm`, 'application/dicom');
    offer('downloadNifti', result.nifti, `${result.name}.nii.gz`, 'application/gzip');
    $('result').hidden = false;
    view(result);
    status('done');
    progress.hidden = true;
    document.body.dataset['state'] = 'done';
  } catch (error) {
    showError(error);
  } finally {
    clearVirtualFiles(inputRoot);
  }
}

function listed(input: HTMLInputElement): { path: string; file: File }[] {
  return [...(input.files ?? [])].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

async function start(): Promise<void> {
  const wanted = new URLSearchParams(location.search).get('backend');
  const chosen = await pickBackend(base, pageBackends.includes(wanted as PageBackend) ? (wanted as PageBackend) : undefined);
  backend = chosen.name;
  document.body.dataset['backend'] = backend;
  model = await loadWebModel(base);
  const { manifest } = model;
  const config = model.unets[0]!.config;
  $('model').textContent =
    `${manifest.members.length > 1 ? `ensemble of ${manifest.members.length} ` : ''}${config.backbone} U-Net, ${config.inputSize} px, ` +
    `classes: ${medsegModelLabels(manifest).slice(1).join(', ')}; ${manifest.preprocessing.modality ?? 'any'} series; backend ${backend}` +
    (chosen.tried.length > 0 ? ` (${chosen.tried.join('; ')})` : '');
  for (const id of ['folder', 'files']) {
    const input = $<HTMLInputElement>(id);
    input.disabled = false;
    input.onchange = () => void segment(listed(input));
  }
  const drop = $('drop');
  drop.ondragover = (event) => {
    event.preventDefault();
    drop.classList.add('over');
  };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer !== null) void filesFromDrop(event.dataTransfer.items).then(segment, showError);
  };
  document.body.dataset['state'] = 'ready';
}

start().catch(showError);
