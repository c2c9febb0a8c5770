import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MedsegError } from '../errors.js';
import { getDecimal, getString } from './dicomValues.js';
import { describeInstance, describeObject, isImageObject } from './instanceInfo.js';
import { parseDicomBytes } from './parseDicom.js';
import { readDicomBytes } from './readDicomFile.js';
import type { DicomInstanceInfo, DicomSeriesInfo, DicomTreeScan, SkippedFile } from './seriesTypes.js';
import { Tag } from './tags.js';

export interface ScanDicomTreeOptions {
  /** Files read at once (default 16): enough to hide I/O latency without holding many files in memory. */
  readonly concurrency?: number;
  /** Called after each file with the number of files done and found. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Every regular file under `path` (or `path` itself), sorted so that scans are deterministic. */
async function listFiles(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new MedsegError(`cannot read: ${(error as Error).message}`, { path, cause: error });
  }
  if (!info.isDirectory()) return [path];
  // Symbolic links are followed (study trees are often assembled from links), each real folder once.
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = async (folder: string): Promise<void> => {
    const real = await realpath(folder);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const child = join(folder, entry.name);
      const kind = entry.isSymbolicLink() ? await stat(child).catch(() => undefined) : entry;
      if (kind?.isDirectory()) await walk(child);
      else if (kind?.isFile()) files.push(child);
    }
  };
  await walk(path);
  return files.sort();
}

interface SeriesAccumulator {
  readonly first: ReturnType<typeof describeObject>;
  readonly description: string;
  readonly seriesNumber: number | undefined;
  readonly instances: DicomInstanceInfo[];
}

/**
 * Groups the DICOM files under `path` by SeriesInstanceUID without decoding pixels. Objects without image pixels
 * (RTSTRUCT, SEG, SR) go to `others`; files that are not DICOM or cannot be parsed go to `skipped` with the reason.
 */
export async function scanDicomTree(path: string, options: ScanDicomTreeOptions = {}): Promise<DicomTreeScan> {
  const files = await listFiles(path);
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const results: (
    | { kind: 'image'; instance: DicomInstanceInfo; object: ReturnType<typeof describeObject>; description: string; seriesNumber: number | undefined }
    | { kind: 'other'; object: ReturnType<typeof describeObject> }
    | { kind: 'skipped'; skipped: SkippedFile }
  )[] = new Array(files.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const file = files[index]!;
      try {
        const dataset = parseDicomBytes(await readDicomBytes(file), file, { stopAtPixelData: true });
        const object = describeObject(dataset);
        if (isImageObject(dataset, object.sopClassUid)) {
          results[index] = {
            kind: 'image',
            instance: describeInstance(dataset, object),
            object,
            description: getString(dataset.raw, Tag.SeriesDescription) ?? '',
            seriesNumber: getDecimal(dataset.raw, Tag.SeriesNumber),
          };
        } else {
          results[index] = { kind: 'other', object };
        }
      } catch (error) {
        if (!(error instanceof MedsegError)) throw error;
        results[index] = { kind: 'skipped', skipped: { path: file, reason: error.message.replace(`${file}: `, '') } };
      }
      options.onProgress?.(++done, files.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));

  const bySeries = new Map<string, SeriesAccumulator>();
  const others = [];
  const skipped: SkippedFile[] = [];
  for (const result of results) {
    if (result.kind === 'skipped') skipped.push(result.skipped);
    else if (result.kind === 'other') others.push(result.object);
    else {
      // Objects without a SeriesInstanceUID are kept apart, one series per file, rather than merged.
      const key = result.object.seriesInstanceUid || `no-series:${result.object.path}`;
      let series = bySeries.get(key);
      if (!series) {
        series = { first: result.object, description: result.description, seriesNumber: result.seriesNumber, instances: [] };
        bySeries.set(key, series);
      }
      series.instances.push(result.instance);
    }
  }
  const series: DicomSeriesInfo[] = [...bySeries.values()].map((s) => ({
    seriesInstanceUid: s.first.seriesInstanceUid,
    studyInstanceUid: s.first.studyInstanceUid,
    patientId: s.first.patientId,
    modality: s.first.modality,
    seriesDescription: s.description,
    seriesNumber: s.seriesNumber,
    sopClassUid: s.first.sopClassUid,
    frameOfReferenceUid: s.first.frameOfReferenceUid,
    transferSyntaxUids: [...new Set(s.instances.map((i) => i.transferSyntaxUid))],
    instances: s.instances,
    files: s.instances.map((i) => i.path),
  }));
  return { series, others, skipped };
}
