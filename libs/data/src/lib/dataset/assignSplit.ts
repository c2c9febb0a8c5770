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

/** A patient's place in the seeded ranking that deals out the splits: depends on its ID and the seed only. */
function rankKey(patientId: string, seed: number): number {
  return mixBits(hashString(patientId, hashString(`split:${seed}`)));
}

const byKey = (key: (id: string) => number) => (a: string, b: string) => key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0);

/** How many of `n` patients a fraction asks for: the nearest whole number, and at least one when it is positive. */
function quota(fraction: number, n: number): number {
  return fraction > 0 && n > 0 ? Math.max(1, Math.round(fraction * n)) : 0;
}

/**
 * The split of every patient: all the cases of a patient land in one split (never split by slice). Patients
 * forced by pattern go first (test patterns win over validation ones); the fractions are of all the patients,
 * forced ones included, rounded to the nearest patient (at least one when a fraction is positive, but never the
 * last patient left to train while the fractions leave room for training), and the
 * remaining places are filled from the other patients in the order of a seeded hash of their IDs: the lowest
 * keys to test, the next to validation, the rest train. So `--val 0.2` on 36 patients puts exactly 7 in
 * validation, and adding patients moves only those at the boundaries of the ranking (adding one patient
 * changes the split of at most one other with a validation fraction alone, three with a test fraction too), because each patient's key depends on its ID and the seed alone.
 */
export function assignSplits(patientIds: readonly string[], options: SplitOptions): Map<string, Split> {
  if (!(options.val >= 0 && options.test >= 0 && options.val + options.test <= 1)) {
    throw new RangeError(`assignSplits: val (${options.val}) and test (${options.test}) must be fractions that sum to at most 1`);
  }
  const patients = [...new Set(patientIds)];
  const splits = new Map<string, Split>();
  for (const id of patients) {
    if (matchesAny(id, options.testPatients)) splits.set(id, 'test');
    else if (matchesAny(id, options.valPatients)) splits.set(id, 'val');
  }
  const forced = (split: Split) => [...splits.values()].filter((s) => s === split).length;
  const ranked = patients.filter((id) => !splits.has(id)).sort(byKey((id) => rankKey(id, options.seed)));
  // While the fractions leave room for training, at least one ranked patient trains (one patient with --val 0.5
  // trains rather than validates).
  const keepTrain = options.val + options.test < 1 && ranked.length > 0 ? 1 : 0;
  const testPlaces = Math.min(ranked.length - keepTrain, Math.max(0, quota(options.test, patients.length) - forced('test')));
  const valPlaces = Math.min(ranked.length - keepTrain - testPlaces, Math.max(0, quota(options.val, patients.length) - forced('val')));
  ranked.forEach((id, rank) => splits.set(id, rank < testPlaces ? 'test' : rank < testPlaces + valPlaces ? 'val' : 'train'));
  return splits;
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
