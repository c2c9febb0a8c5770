import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { DicomObjectInfo, DicomSeriesInfo, SkippedFile } from '../dicom/seriesTypes.js';
import { SopClass } from '../dicom/tags.js';
import { readDicomSeg } from '../masks/readDicomSeg.js';
import { readRtStruct } from '../masks/readRtStruct.js';
import { safeName } from '../names/safeName.js';
import type { MaskSource } from './buildCaseMask.js';

/** Mask files found beside the images or under `--masks`, before they are matched to series. */
export interface MaskCandidates {
  /** DICOM RTSTRUCT and SEG objects (from a scan). */
  readonly dicom: readonly DicomObjectInfo[];
  /** NIfTI files and PNG folders named after a case, patient or series. */
  readonly named: readonly (MaskSource & { readonly name: string })[];
}

/**
 * NIfTI label maps (`NAME.nii[.gz]`, or `NAME/` holding one NIfTI whose file name says mask, label or seg, as
 * the IBSI and many challenges lay them out) and folders of PNG slices (`NAME/*.png`) directly under `folder`.
 */
export async function findNamedMasks(folder: string): Promise<(MaskSource & { name: string })[]> {
  const info = await stat(folder);
  const stemOf = (name: string) => name.replace(/\.nii(\.gz)?$/i, '');
  if (!info.isDirectory()) {
    return /\.nii(\.gz)?$/i.test(folder) ? [{ kind: 'nifti', path: folder, name: stemOf(basename(folder)) }] : [];
  }
  const found: (MaskSource & { name: string })[] = [];
  for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(folder, entry.name);
    const kind = entry.isSymbolicLink() ? await stat(path).catch(() => undefined) : entry;
    if (kind?.isFile() && /\.nii(\.gz)?$/i.test(entry.name)) found.push({ kind: 'nifti', path, name: stemOf(entry.name) });
    if (!kind?.isDirectory()) continue;
    const inside = (await readdir(path)).sort();
    const labelMaps = inside.filter((name) => /\.nii(\.gz)?$/i.test(name) && /mask|label|seg/i.test(name));
    if (labelMaps.length === 1) found.push({ kind: 'nifti', path: join(path, labelMaps[0]!), name: entry.name });
    else if (inside.some((name) => extname(name).toLowerCase() === '.png')) found.push({ kind: 'png', path, name: entry.name });
  }
  return found;
}

/**
 * Matches each series to its ground truth, as a PACS export delivers them: an RTSTRUCT or SEG by the series it
 * references (or, when it names none, by frame of reference within the patient); a NIfTI file or PNG folder by
 * name (case ID, PatientID or SeriesInstanceUID). Masks that match no series are reported, not dropped silently.
 */
export async function pairMaskSources(series: readonly DicomSeriesInfo[], candidates: MaskCandidates): Promise<{ pairs: Map<string, MaskSource>; unmatched: SkippedFile[] }> {
  const pairs = new Map<string, MaskSource>();
  const unmatched: SkippedFile[] = [];
  const bySeriesUid = new Map(series.map((s) => [s.seriesInstanceUid, s]));
  const sopToSeries = new Map<string, string>();
  for (const s of series) for (const instance of s.instances) sopToSeries.set(instance.sopInstanceUid, s.seriesInstanceUid);

  for (const object of [...candidates.dicom].sort((a, b) => a.path.localeCompare(b.path))) {
    let kind: MaskSource['kind'];
    let references: string[];
    try {
      if (object.sopClassUid === SopClass.RtStructureSetStorage) {
        kind = 'rtstruct';
        references = [...(await readRtStruct(object.path)).referencedSeriesInstanceUids];
      } else if (object.sopClassUid === SopClass.SegmentationStorage || object.sopClassUid === SopClass.LabelMapSegmentationStorage) {
        kind = 'seg';
        const seg = await readDicomSeg(object.path);
        references = [...seg.referencedSeriesInstanceUids, ...seg.frames.flatMap((f) => f.referencedSopInstanceUids.flatMap((uid) => sopToSeries.get(uid) ?? []))];
      } else {
        continue;
      }
    } catch (error) {
      unmatched.push({ path: object.path, reason: error instanceof Error ? error.message : String(error) });
      continue;
    }
    let target = references.find((uid) => bySeriesUid.has(uid));
    if (target === undefined && references.length === 0) {
      const sameFrame = series.filter((s) => s.frameOfReferenceUid === object.frameOfReferenceUid && s.patientId === object.patientId);
      if (sameFrame.length === 1) target = sameFrame[0]!.seriesInstanceUid;
    }
    if (target === undefined) {
      unmatched.push({ path: object.path, reason: `${kind} references series ${references.join(', ') || '(none)'}, which is not among the images` });
      continue;
    }
    if (pairs.has(target)) {
      unmatched.push({ path: object.path, reason: `a second mask for series ${target}; using ${pairs.get(target)!.path}` });
      continue;
    }
    pairs.set(target, { kind, path: object.path });
  }

  for (const named of candidates.named) {
    const matches = series.filter((s) => s.seriesInstanceUid === named.name || s.patientId === named.name || caseIdFor(s.patientId) === named.name);
    if (matches.length !== 1) {
      unmatched.push({ path: named.path, reason: matches.length === 0 ? `'${named.name}' names no series, patient or case` : `'${named.name}' matches ${matches.length} series; name it by SeriesInstanceUID` });
      continue;
    }
    const uid = matches[0]!.seriesInstanceUid;
    if (pairs.has(uid)) {
      unmatched.push({ path: named.path, reason: `a second mask for series ${uid}; using ${pairs.get(uid)!.path}` });
      continue;
    }
    pairs.set(uid, { kind: named.kind, path: named.path });
  }
  return { pairs, unmatched };
}

/** A file-system-safe case ID from a PatientID (before collisions are resolved; see `caseIdsForSeries`). */
export function caseIdFor(patientId: string): string {
  return safeName(patientId, 'case');
}
