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
  cases?: { id?: unknown; patientId?: unknown; files?: { mask?: unknown; image?: unknown } }[];
}

/**
 * Pairs prediction and truth files by case id. TRUTH is a dataset folder (`manifest.json`, masks at
 * `cases/<id>/mask.nii.gz`, images beside them, patient ids from the manifest) or a plain folder of NIfTI label
 * maps; PRED is a prediction folder (`<id>.nii.gz`) or any plain folder of NIfTI label maps. IMAGES, when
 * given, is a folder of NIfTI images matched by the same ids (for the report's pictures).
 */
export async function resolveInputs(options: { pred: string; truth: string; images?: string | undefined }): Promise<ResolvedInputs> {
  const predFolder = resolve(options.pred);
  const truthFolder = resolve(options.truth);
  const predFiles = await niftiFilesById(predFolder, 'prediction');
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
    if (Array.isArray(manifest.classes)) classNames = manifest.classes.map(String);
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
  return { cases, truthKind, classNames, truthOnly, predOnly, patientIds };
}
