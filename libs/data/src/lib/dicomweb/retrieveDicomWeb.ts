import { createHash } from 'node:crypto';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathExists } from '../fs/pathExists.js';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import type { DicomWebClient, InstanceRef, SeriesRef } from './dicomWebClient.js';
import { DicomWebAuthError, DicomWebError } from './dicomWebErrors.js';
import { runPool } from './runPool.js';

/** What to take from the server; the union of all given, or every series when none is. */
export interface DicomWebSelection {
  readonly studies?: readonly string[];
  readonly series?: readonly string[];
  /** QIDO-RS series matches, `Modality=MR&StudyDate=20200101-`, one search each. */
  readonly queries?: readonly string[];
}

export interface RetrieveProgress {
  readonly done: number;
  readonly total: number;
  readonly fetched: number;
  readonly reused: number;
}

export interface RetrieveDicomWebOptions {
  readonly client: DicomWebClient;
  /** Cache folder: `instances/<study>/<series>/<sop>.dcm` (shared between runs), `views/` (one per selection). */
  readonly cache: string;
  readonly selection: DicomWebSelection;
  /** Also take every RTSTRUCT and SEG series of the selected studies, to be paired as ingest pairs them (default true). */
  readonly masks?: boolean;
  /** Keep only the image series it accepts (a shard); mask series follow their study. */
  readonly seriesFilter?: (seriesInstanceUid: string) => boolean;
  /** Requests at once (default 4). */
  readonly concurrency?: number;
  readonly onProgress?: (progress: RetrieveProgress) => void;
}

export interface RetrieveDicomWebResult {
  /** A folder tree holding exactly the selected, completely retrieved series: ingest or predict it as any folder. */
  readonly folder: string;
  /** Series in `folder`, sorted by study and series UID. */
  readonly series: readonly SeriesRef[];
  /**
   * Every image series the selection matched before `seriesFilter` (with PatientID where the server gives it):
   * what a shard needs to name its cases as the unsharded run would.
   */
  readonly selectedImageSeries: readonly SeriesRef[];
  readonly instances: number;
  readonly fetched: number;
  readonly reused: number;
  /** Instances that could not be retrieved (`instance <study>/<series>/<sop>`), their series left out of `folder`. */
  readonly failed: readonly { path: string; reason: string }[];
}

const maskModalities = new Set(['RTSTRUCT', 'SEG']);
/** Objects that are neither images nor masks: never predicted, never paired. */
const otherModalities = new Set(['SR', 'PR', 'KO', 'REG', 'RTPLAN', 'RTDOSE', 'RTRECORD']);

async function selectSeries(client: DicomWebClient, selection: DicomWebSelection, masks: boolean, filter: (uid: string) => boolean): Promise<{ chosen: SeriesRef[]; images: SeriesRef[] }> {
  const found = new Map<string, SeriesRef>();
  const add = (list: readonly SeriesRef[]) => {
    for (const s of list) if (!found.has(s.seriesInstanceUid)) found.set(s.seriesInstanceUid, s);
  };
  const { studies = [], series = [], queries = [] } = selection;
  if (studies.length + series.length + queries.length === 0) add(await client.searchSeries());
  for (const study of studies) add(await client.searchSeries(new URLSearchParams(), study));
  for (const uid of series) {
    const hits = await client.searchSeries(new URLSearchParams({ SeriesInstanceUID: uid }));
    if (hits.length === 0) throw new DicomWebError(`no series ${uid} on the server`, { path: client.url });
    add(hits);
  }
  for (const query of queries) add(await client.searchSeries(new URLSearchParams(query)));
  const key = (s: SeriesRef) => `${s.studyInstanceUid}/${s.seriesInstanceUid}`;
  const order = (a: SeriesRef, b: SeriesRef) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const allImages = [...found.values()].filter((s) => !maskModalities.has(s.modality ?? '') && !otherModalities.has(s.modality ?? '')).sort(order);
  const images = allImages.filter((s) => filter(s.seriesInstanceUid));
  const chosen = new Map(images.map((s) => [s.seriesInstanceUid, s]));
  if (masks) {
    for (const study of new Set(images.map((s) => s.studyInstanceUid))) {
      for (const s of await client.searchSeries(new URLSearchParams(), study)) if (maskModalities.has(s.modality ?? '')) chosen.set(s.seriesInstanceUid, s);
    }
  }
  return { chosen: [...chosen.values()].sort(order), images: allImages };
}

const instanceName = (i: InstanceRef) => `instance ${i.studyInstanceUid}/${i.seriesInstanceUid}/${i.sopInstanceUid}`;

/**
 * Takes series from a DICOMweb server into a local cache keyed by SOPInstanceUID: QIDO-RS finds them,
 * WADO-RS retrieves each instance not already cached (so a rerun fetches only what is missing), each written
 * atomically. Returns a folder that holds exactly the selected series that arrived whole. An instance that
 * cannot be had is reported and its series left out; refused credentials stop the run; once the server cannot
 * be reached at all, the rest are reported without further waiting.
 */
export async function retrieveDicomWeb(options: RetrieveDicomWebOptions): Promise<RetrieveDicomWebResult> {
  const { client } = options;
  const cache = resolve(options.cache);
  const concurrency = options.concurrency ?? 4;
  const { chosen: series, images } = await selectSeries(client, options.selection, options.masks ?? true, options.seriesFilter ?? (() => true));
  const perSeries: InstanceRef[][] = Array.from({ length: series.length }, () => []);
  await runPool(series, concurrency, async (s, i) => {
    perSeries[i] = await client.searchInstances(s);
  });
  const instances = perSeries.flat();
  const folderOf = (s: SeriesRef) => join(cache, 'instances', s.studyInstanceUid, s.seriesInstanceUid);
  const failed: { path: string; reason: string }[] = [];
  const incomplete = new Set<string>();
  let done = 0;
  let fetched = 0;
  let reused = 0;
  let unreachable: string | undefined;
  await runPool(instances, concurrency, async (instance) => {
    const file = join(folderOf(instance), `${instance.sopInstanceUid}.dcm`);
    if (await pathExists(file)) reused++;
    else if (unreachable !== undefined) {
      failed.push({ path: instanceName(instance), reason: `not retrieved: ${unreachable}` });
      incomplete.add(instance.seriesInstanceUid);
    } else {
      try {
        await writeFileAtomic(file, await client.retrieveInstance(instance));
        fetched++;
      } catch (error) {
        if (error instanceof DicomWebAuthError || !(error instanceof DicomWebError)) throw error;
        const reason = error.message.startsWith(`${instanceName(instance)}: `) ? error.message.slice(instanceName(instance).length + 2) : error.message;
        if (error.transient && error.status === undefined) unreachable ??= `the server stopped answering (${reason})`;
        failed.push({ path: instanceName(instance), reason });
        incomplete.add(instance.seriesInstanceUid);
      }
    }
    options.onProgress?.({ done: ++done, total: instances.length, fetched, reused });
  });
  const complete = series.filter((s) => !incomplete.has(s.seriesInstanceUid));
  // The selection's view: links to the cached series folders, rebuilt whole and renamed into place.
  const digest = createHash('sha256').update(complete.map((s) => s.seriesInstanceUid).join('\n')).digest('hex').slice(0, 16);
  const folder = join(cache, 'views', digest);
  const building = join(cache, 'views', `.tmp-${digest}-${process.pid}`);
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { recursive: true });
  for (const s of complete) {
    await mkdir(join(building, s.studyInstanceUid), { recursive: true });
    await mkdir(folderOf(s), { recursive: true });
    await symlink(folderOf(s), join(building, s.studyInstanceUid, s.seriesInstanceUid), 'dir');
  }
  await rm(folder, { recursive: true, force: true });
  await rename(building, folder);
  failed.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { folder, series: complete, selectedImageSeries: images, instances: instances.length, fetched, reused, failed };
}
