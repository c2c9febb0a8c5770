import { hashString } from '../random.js';

export type Split = 'train' | 'val' | 'test';

export interface SplitOptions {
  readonly seed: number;
  /** Fractions of patients for validation and test; the rest train. */
  readonly val: number;
  readonly test: number;
  /** Patients forced into a split by ID pattern (`*` wildcards, comma-separated), checked before the hash. */
  readonly valPatients?: string;
  readonly testPatients?: string;
}

/**
 * murmur3's 32-bit finaliser. FNV-1a alone leaves its top bits tied to the last character, so IDs that differ
 * only at the end (STS_001, STS_002, ...) would land in clumps; this spreads every input bit over the output.
 */
function mixBits(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function matchesAny(patientId: string, patterns: string | undefined): boolean {
  if (!patterns) return false;
  return patterns.split(',').some((pattern) => {
    const regex = new RegExp(`^${pattern.trim().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    return regex.test(patientId);
  });
}

/**
 * The split of a patient, from a hash of its ID and the seed: every case of a patient lands in one split (never
 * split by slice), and a patient keeps its split when others are added, because its hash depends on nothing else.
 */
export function assignSplit(patientId: string, options: SplitOptions): Split {
  if (!(options.val >= 0 && options.test >= 0 && options.val + options.test <= 1)) {
    throw new RangeError(`assignSplit: val (${options.val}) and test (${options.test}) must be fractions that sum to at most 1`);
  }
  if (matchesAny(patientId, options.testPatients)) return 'test';
  if (matchesAny(patientId, options.valPatients)) return 'val';
  const u = mixBits(hashString(patientId, hashString(`split:${options.seed}`))) / 4294967296;
  if (u < options.test) return 'test';
  if (u < options.test + options.val) return 'val';
  return 'train';
}

/** Fold `fold` (0-based) of a `folds`-fold cross-validation whose assignment derives from `seed`. */
export interface CrossValidationFold {
  readonly fold: number;
  readonly folds: number;
  readonly seed: number;
}

/**
 * The splits of a k-fold cross-validation over the development patients (nnU-Net's five folds): every patient
 * outside the test split goes to one fold, and fold `fold` validates while the others train; test cases stay
 * test. Patients are ordered by a hash of their ID and the seed and dealt out in turn, so fold sizes differ by
 * at most one patient and all of a patient's cases share a fold. Returns each case's split, in order.
 */
export function crossValidationSplits(cases: readonly { readonly patientId: string; readonly split: Split }[], { fold, folds, seed }: CrossValidationFold): Split[] {
  if (!Number.isInteger(folds) || folds < 2) throw new RangeError(`crossValidationSplits: folds must be an integer >= 2, got ${folds}`);
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds) throw new RangeError(`crossValidationSplits: fold must be an integer in 0..${folds - 1}, got ${fold}`);
  const patients = [...new Set(cases.filter((c) => c.split !== 'test').map((c) => c.patientId))];
  if (patients.length < folds) throw new RangeError(`crossValidationSplits: ${folds} folds need at least ${folds} development (non-test) patients, got ${patients.length}`);
  const key = (id: string) => mixBits(hashString(id, hashString(`fold:${seed}`)));
  // Ties (equal hashes) fall back to the ID, so the order never depends on the input order.
  patients.sort((a, b) => key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0));
  const foldOf = new Map(patients.map((id, rank) => [id, rank % folds]));
  return cases.map((c) => (c.split === 'test' ? 'test' : foldOf.get(c.patientId) === fold ? 'val' : 'train'));
}
