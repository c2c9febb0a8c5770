import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlanError } from '../errors.js';
import { writeFileAtomic } from '../fs/writeFileAtomic.js';
import type { DatasetFingerprint } from './datasetFingerprint.js';
import type { PlanOptions, TrainingPlan } from './planTraining.js';

export const PLANS_FILE = 'plans.json';
export const PLANS_SCHEMA_VERSION = 1;

/** `plans.json` beside a dataset's manifest: what was fingerprinted, with which options, and the plan. */
export interface PlansRecord {
  readonly schemaVersion: number;
  readonly generator: string;
  /** The manifest the fingerprint was made from (sha256 of its bytes): a changed dataset needs a new plan. */
  readonly dataset: { readonly manifestSha256: string; readonly cases: number };
  readonly options: {
    readonly timeBudgetSeconds: number;
    /** `--seconds-per-step` as given, or null. */
    readonly secondsPerStep: number | null;
    /** Whether the step time was timed on this machine (`plan.estimate.measurement` holds the figures). */
    readonly measured: boolean;
    readonly cores: number;
    readonly maxInputSize: number;
  };
  readonly fingerprint: DatasetFingerprint;
  readonly plan: TrainingPlan;
}

export function plansOptions(options: PlanOptions): PlansRecord['options'] {
  return {
    timeBudgetSeconds: options.timeBudgetSeconds ?? 3600,
    secondsPerStep: options.secondsPerStep ?? null,
    measured: options.secondsPerStep === undefined && options.measurement !== undefined,
    cores: options.cores ?? 1,
    maxInputSize: options.maxInputSize ?? 256,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a parsed plans.json (the one place that does): the schema version, the sections, and that every
 * planned setting is a `{ value, reason }` choice whose reason is a non-empty string. Throws PlanError naming
 * the file and the first problem.
 */
export function validatePlans(value: unknown, path: string): PlansRecord {
  const fail = (problem: string): never => {
    throw new PlanError(problem, { path });
  };
  if (!isObject(value)) return fail('plans.json is not a JSON object');
  if (value['schemaVersion'] !== PLANS_SCHEMA_VERSION) fail(`unsupported plans schema version ${String(value['schemaVersion'])} (this medseg reads ${PLANS_SCHEMA_VERSION}); run 'medseg plan' again`);
  const dataset = value['dataset'];
  if (!isObject(dataset) || typeof dataset['manifestSha256'] !== 'string' || typeof dataset['cases'] !== 'number') fail("'dataset' must hold manifestSha256 and cases");
  const options = value['options'];
  if (!isObject(options) || typeof options['timeBudgetSeconds'] !== 'number') fail("'options' must hold timeBudgetSeconds");
  if (!isObject(value['fingerprint']) || typeof (value['fingerprint'] as Record<string, unknown>)['modality'] !== 'string') fail("'fingerprint' is missing or has no modality");
  const plan = value['plan'];
  if (!isObject(plan)) return fail("'plan' is missing");
  for (const section of ['ingest', 'train', 'predict'] as const) {
    const choices = plan[section];
    if (!isObject(choices)) return fail(`'plan.${section}' is missing`);
    for (const [name, choice] of Object.entries(choices)) {
      if (section === 'ingest' && name === 'reingest') {
        if (choice !== null && typeof choice !== 'string') fail("'plan.ingest.reingest' must be a string or null");
        continue;
      }
      if (!isObject(choice) || !('value' in choice) || typeof choice['reason'] !== 'string' || choice['reason'] === '') fail(`'plan.${section}.${name}' must be { value, reason } with a reason`);
    }
  }
  const train = plan['train'] as Record<string, { value: unknown }>;
  for (const name of ['inputSize', 'batchSize', 'epochs', 'patience', 'bnRecalibration', 'workers', 'contextSlices'] as const) {
    const v = train[name]?.value;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`'plan.train.${name}.value' must be a whole number, got ${JSON.stringify(v)}`);
  }
  if ((train['inputSize']!.value as number) % 32 !== 0) fail("'plan.train.inputSize.value' must be a multiple of 32");
  const filters = train['decoderFilters']?.value;
  if (!Array.isArray(filters) || filters.length !== 5 || filters.some((f) => !Number.isInteger(f) || f < 1)) fail("'plan.train.decoderFilters.value' must be five positive integers");
  if (typeof train['lr']?.value !== 'number' || !((train['lr'].value as number) > 0)) fail("'plan.train.lr.value' must be a number > 0");
  for (const name of ['encoder', 'encoderWeights', 'augment', 'loss'] as const) if (typeof train[name]?.value !== 'string') fail(`'plan.train.${name}.value' must be a string`);
  if (!isObject(plan['estimate']) || typeof (plan['estimate'] as Record<string, unknown>)['minutes'] !== 'number') fail("'plan.estimate' must hold minutes");
  return value as unknown as PlansRecord;
}

/** Reads and validates `DATASET/plans.json`; undefined when there is none. */
export async function readPlans(datasetFolder: string): Promise<PlansRecord | undefined> {
  const path = join(datasetFolder, PLANS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PlanError(`cannot read (${(error as Error).message})`, { path, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PlanError(`not valid JSON (${(error as Error).message})`, { path, cause: error });
  }
  return validatePlans(parsed, path);
}

/** Writes `DATASET/plans.json` atomically, after validating it; returns its path. */
export async function writePlans(datasetFolder: string, record: PlansRecord): Promise<string> {
  const path = join(datasetFolder, PLANS_FILE);
  validatePlans(JSON.parse(JSON.stringify(record)), path);
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}
