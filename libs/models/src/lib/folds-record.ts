import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists, writeFileAtomic } from '@medseg/data';
import { ModelLoadError, ModelOptionsError } from './errors.js';
import type { RunPostprocessing } from './run-record-schema.js';

/** The file that makes a run folder a cross-validation run: one sub-run per fold, used together as an ensemble. */
export const FOLDS_RECORD_FILE = 'folds.json';
export const FOLDS_RECORD_SCHEMA_VERSION = 1;

/** folds.json: the folds of a `train --folds N` run, and the post-processing chosen on all of them together. */
export interface FoldsRecord {
  readonly format: 'medseg-folds';
  readonly schemaVersion: number;
  readonly folds: number;
  /** The dataset the folds deal out (its non-test patients). */
  readonly dataset: string;
  /** Sub-run folders relative to the run folder, fold k at index k. */
  readonly members: readonly string[];
  /** The folder of local encoder weights the run started with, for folds a resumed run has still to build. */
  readonly weightsDir: string | null;
  readonly commandLine: readonly string[] | null;
  readonly createdAt: string;
  /** `complete` once every fold has finished and the pooled post-processing is chosen. */
  readonly status: 'training' | 'complete';
  /** Chosen on the out-of-fold predictions of all folds pooled (every development patient once), as nnU-Net does. */
  readonly postprocessing?: RunPostprocessing;
}

export const foldMemberName = (fold: number) => `fold-${fold}`;

export async function isFoldsRun(folder: string): Promise<boolean> {
  return pathExists(join(folder, FOLDS_RECORD_FILE));
}

export async function writeFoldsRecord(folder: string, record: FoldsRecord): Promise<void> {
  await writeFileAtomic(join(folder, FOLDS_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** Reads and checks folds.json; a member name that would leave the folder is refused like a malformed file. */
export async function readFoldsRecord(folder: string): Promise<FoldsRecord> {
  const path = join(folder, FOLDS_RECORD_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ModelLoadError(`unreadable cross-validation record: ${error instanceof Error ? error.message : String(error)}`, { path, cause: error });
  }
  const r = parsed as Partial<FoldsRecord>;
  const problem =
    r.format !== 'medseg-folds' ? 'format is not medseg-folds'
    : r.schemaVersion !== FOLDS_RECORD_SCHEMA_VERSION ? `schemaVersion ${String(r.schemaVersion)} is not ${FOLDS_RECORD_SCHEMA_VERSION}`
    : !Number.isInteger(r.folds) || r.folds! < 2 ? 'folds is not an integer of at least 2'
    : typeof r.dataset !== 'string' ? 'dataset is not a path'
    : !Array.isArray(r.members) || r.members.length !== r.folds || r.members.some((m, k) => m !== foldMemberName(k)) ? `members are not fold-0..fold-${(r.folds ?? 1) - 1}`
    : r.status !== 'training' && r.status !== 'complete' ? 'status is neither training nor complete'
    : r.status === 'complete' && r.postprocessing === undefined ? 'a complete record without its post-processing'
    : undefined;
  if (problem !== undefined) throw new ModelLoadError(`malformed cross-validation record: ${problem}`, { path });
  return r as FoldsRecord;
}

/**
 * The sub-runs a folds run stands for, with the pooled post-processing; refused while a fold is unfinished, since
 * an ensemble missing folds would not be the model the run describes.
 */
export async function foldsRunMembers(folder: string): Promise<{ readonly members: readonly string[]; readonly postprocessing: RunPostprocessing }> {
  const record = await readFoldsRecord(folder);
  if (record.status !== 'complete') {
    throw new ModelOptionsError(`the cross-validation run is not finished (its ${record.folds} folds and their pooled post-processing); continue it with 'medseg train --resume --out ${folder}'`, { path: folder });
  }
  return { members: record.members.map((m) => join(folder, m)), postprocessing: record.postprocessing! };
}

/** Model folders as given, each cross-validation run replaced by its folds (with the pooled post-processing). */
export async function expandFoldsRuns(models: readonly string[]): Promise<{ readonly model: string; readonly pooled: RunPostprocessing | undefined }[]> {
  const expanded = await Promise.all(
    models.map(async (model) => {
      if (!(await isFoldsRun(model))) return [{ model, pooled: undefined }];
      const { members, postprocessing } = await foldsRunMembers(model);
      return members.map((member) => ({ model: member, pooled: postprocessing }));
    }),
  );
  return expanded.flat();
}
