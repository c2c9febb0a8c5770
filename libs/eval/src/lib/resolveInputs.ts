import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { safeJoin } from '@medseg/data';
import { EvalInputError } from './errors.js';

/** One case to evaluate: its id (the file name without extension) and where its files are. */
export interface EvalCaseFiles {
  readonly id: string;
  readonly patientId: string;
  readonly truth: string;
  readonly pred: string;
  readonly image?: string;
}

export interface ResolvedInputs {
  readonly cases: EvalCaseFiles[];
  /** 'dataset' when TRUTH is a dataset folder written by `medseg ingest` (manifest.json). */
  readonly truthKind: 'dataset' | 'folder';
  /** Class names by label value from the dataset manifest, when there is one. */
  readonly classNames: readonly string[] | undefined;
  /** Truth cases without a prediction, and predictions without a truth: left out, and said so in the report. */
  readonly truthOnly: readonly string[];
  readonly predOnly: readonly string[];
  readonly patientIds: 'manifest' | 'case';
  /**
   * Which predictions count: 'predictions.json' (a `medseg predict` folder: exactly the cases it lists) or
   * 'folder' (a plain folder: every NIfTI file in it).
   */
  readonly predictionList: 'predictions.json' | 'folder';
  /** True when predictions.json said in-progress and `partial` allowed it. */
  readonly partial: boolean;
  /** Run folders the predictions came from (predictions.json `runs`), for the report's links. */
  readonly runs: readonly string[];
  /** The training curves (curves.svg) of those runs that have them. */
  readonly curves: readonly string[];
}

/** What a `medseg predict` folder's predictions.json says: its cases' files, completeness, source runs. */
interface PredictionListing {
  readonly files: Map<string, string>;
  readonly complete: boolean;
  readonly runs: string[];
}

async function readPredictionListing(folder: string): Promise<PredictionListing | undefined> {
  const path = join(folder, 'predictions.json');
  if (!existsSync(path)) return undefined;
  let record: { status?: unknown; cases?: unknown; runs?: unknown };
  try {
    record = JSON.parse(await readFile(path, 'utf8')) as typeof record;
  } catch (error) {
    throw new EvalInputError(`unreadable predictions.json (${String(error)})`, { path, cause: error });
  }
  if (!Array.isArray(record.cases)) throw new EvalInputError('predictions.json has no cases list', { path });
  const files = new Map<string, string>();
  for (const c of record.cases as { id?: unknown; files?: { nifti?: unknown } }[]) {
    if (typeof c.id !== 'string' || typeof c.files?.nifti !== 'string') throw new EvalInputError('predictions.json lists a case without an id and a NIfTI file', { path });
    // A listed name is a file of this folder, never a path elsewhere.
    if (c.files.nifti.includes('/') || c.files.nifti.includes('\\') || c.files.nifti.startsWith('.')) throw new EvalInputError(`predictions.json names a file outside the folder: ${JSON.stringify(c.files.nifti)}`, { path });
    const file = join(folder, c.files.nifti);
    if (!existsSync(file)) throw new EvalInputError(`predictions.json lists ${c.files.nifti}, which is missing`, { path: file });
    files.set(c.id, file);
  }
  // Records from before the status field were written once, at the end: complete.
  const complete = record.status === undefined || record.status === 'complete';
  const runs = Array.isArray(record.runs) ? record.runs.filter((r): r is string => typeof r === 'string') : [];
  return { files, complete, runs };
}

const niftiPattern = /\.nii(\.gz)?$/i;

/** The case id of a NIfTI file name: the name without `.nii` or `.nii.gz`. */
export function caseIdOf(fileName: string): string {
  return fileName.replace(niftiPattern, '');
}

/** NIfTI files directly inside a folder, by case id. */
export async function niftiFilesById(folder: string, what: string): Promise<Map<string, string>> {
  let names: string[];
  try {
    if (!(await stat(folder)).isDirectory()) throw new EvalInputError(`${what} must be a folder of NIfTI files`, { path: folder });
    names = await readdir(folder);
  } catch (error) {
    if (error instanceof EvalInputError) throw error;
    throw new EvalInputError(`cannot read the ${what} folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { path: folder, cause: error });
  }
  const out = new Map<string, string>();
  for (const name of names.sort()) {
    if (!niftiPattern.test(name) || name.startsWith('.')) continue;
    const id = caseIdOf(name);
    if (out.has(id)) throw new EvalInputError(`two NIfTI files for case "${id}" (${out.get(id)} and ${name})`, { path: folder });
    out.set(id, join(folder, name));
  }
  return out;
}

interface ManifestLike {
  classes?: unknown;
  classInfo?: { label?: unknown }[];
  cases?: { id?: unknown; patientId?: unknown; files?: { mask?: unknown; image?: unknown } }[];
}

/**
 * Pairs prediction and truth files by case id. TRUTH is a dataset folder (`manifest.json`, masks at
 * `cases/<id>/mask.nii.gz`, images beside them, patient ids from the manifest) or a plain folder of NIfTI label
 * maps; PRED is a prediction folder (its predictions.json lists the cases: exactly those are scored, and an
 * in-progress one is refused unless `partial`) or any plain folder of NIfTI label maps (every file is scored). IMAGES, when
 * given, is a folder of NIfTI images matched by the same ids (for the report's pictures).
 */
export async function resolveInputs(options: { pred: string; truth: string; images?: string | undefined; partial?: boolean | undefined }): Promise<ResolvedInputs> {
  const predFolder = resolve(options.pred);
  const truthFolder = resolve(options.truth);
  const folderFiles = await niftiFilesById(predFolder, 'prediction');
  const listing = await readPredictionListing(predFolder);
  if (listing !== undefined && !listing.complete && options.partial !== true) {
    throw new EvalInputError("the prediction folder is incomplete (predictions.json says in-progress: 'medseg predict' did not finish); pass --partial to score the cases done so far", { path: predFolder });
  }
  const predFiles = listing?.files ?? folderFiles;
  const images = options.images === undefined ? undefined : await niftiFilesById(resolve(options.images), 'image');

  const truthCases: { id: string; patientId: string; truth: string; image?: string }[] = [];
  let truthKind: ResolvedInputs['truthKind'] = 'folder';
  let classNames: string[] | undefined;
  let patientIds: ResolvedInputs['patientIds'] = 'case';
  const manifestPath = join(truthFolder, 'manifest.json');
  if (existsSync(manifestPath)) {
    truthKind = 'dataset';
    patientIds = 'manifest';
    let manifest: ManifestLike;
    try {
      manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ManifestLike;
    } catch (error) {
      throw new EvalInputError(`unreadable dataset manifest (${String(error)})`, { path: manifestPath, cause: error });
    }
    if (!Array.isArray(manifest.cases)) throw new EvalInputError('dataset manifest has no cases list', { path: manifestPath });
    // The display label of each class (the ROI name matched) where the manifest has one, else its key.
    if (Array.isArray(manifest.classes)) classNames = manifest.classes.map((key, i) => { const label = manifest.classInfo?.[i]?.label; return typeof label === 'string' ? label : String(key); });
    for (const c of manifest.cases) {
      if (typeof c.id !== 'string') throw new EvalInputError('dataset manifest has a case without an id', { path: manifestPath });
      // Paths from the manifest stay inside the dataset (a stranger's manifest must not point elsewhere).
      const mask = safeJoin(truthFolder, typeof c.files?.mask === 'string' ? c.files.mask : join('cases', c.id, 'mask.nii.gz'), manifestPath);
      const image = safeJoin(truthFolder, typeof c.files?.image === 'string' ? c.files.image : join('cases', c.id, 'image.nii.gz'), manifestPath);
      truthCases.push({
        id: c.id,
        patientId: typeof c.patientId === 'string' && c.patientId !== '' ? c.patientId : c.id,
        truth: mask,
        ...(existsSync(image) ? { image } : {}),
      });
    }
  } else {
    for (const [id, path] of await niftiFilesById(truthFolder, 'truth')) truthCases.push({ id, patientId: id, truth: path });
  }

  const cases: EvalCaseFiles[] = [];
  const truthOnly: string[] = [];
  for (const t of truthCases) {
    const pred = predFiles.get(t.id);
    if (pred === undefined) {
      truthOnly.push(t.id);
      continue;
    }
    const listed = images?.get(t.id);
    // A dangling link or a missing image only costs the report its picture background.
    const image = listed !== undefined && existsSync(listed) ? listed : t.image;
    cases.push({ id: t.id, patientId: t.patientId, truth: t.truth, pred, ...(image === undefined ? {} : { image }) });
  }
  const known = new Set(truthCases.map((t) => t.id));
  const predOnly = [...predFiles.keys()].filter((id) => !known.has(id));
  if (cases.length === 0) {
    throw new EvalInputError(
      `no prediction matches a truth case by name (${truthCases.length} truth cases, ${predFiles.size} predictions)`,
      { path: predFolder },
    );
  }
  return {
    cases,
    truthKind,
    classNames,
    truthOnly,
    predOnly,
    patientIds,
    predictionList: listing === undefined ? 'folder' : 'predictions.json',
    partial: listing !== undefined && !listing.complete,
    runs: listing?.runs ?? [],
    curves: (listing?.runs ?? []).map((run) => join(resolve(predFolder, run), 'curves.svg')).filter((file) => existsSync(file)),
  };
}
