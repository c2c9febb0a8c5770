// @ts-check
// The cross-validated recipe search of issue 15: `npm run study:recipe -- [--arms plan,alpha1,...] [--folds 5]`.
//
// Chooses the planner's rules on evidence that generalises, never on test patients. It ingests the development
// patients (STS_001-028 by default; the test patients STS_029-036 are never ingested here), runs `medseg plan`
// on them, and trains every arm on every fold of a --folds cross-validation (`medseg train --fold k --folds N`:
// fold k chooses the epoch, the others train). Each fold's model then predicts the patients it held out, from its
// LAST checkpoint (best/ was chosen on those very patients, which would flatter them), so every development
// patient is scored once per arm by a model that never saw it; `medseg eval` scores them together, and arms are
// compared patient by patient with the `plan` arm (the planner's own choices).
//
// Arms: `plan` follows plans.json; each other arm changes one setting of it (see `arms` below): encoder width,
// decoder widths, input size, normalisation (its own dataset, ingested with that --normalize), epochs and
// schedule, augmentation strength, loss, post-processing. Fold ensembles are scored on test patients by
// `--test-patients` (optional; then the fold models of each arm predict those patients as an ensemble, the
// number a user gets with `--folds N`): only do that after the rules are chosen.
//
// Resumable: run again with the same --out and settings; finished trainings are skipped, interrupted ones continue
// with `train --resume`, finished predictions are reused; a run that an earlier search made with other settings is
// refused, not reused. Writes OUT/results.md (the docs/results.md table, with the
// commands and wall times) and OUT/results.json.
//
// Smoke check (seconds to minutes, proves the machinery, not the recipe):
//   node experiments/recipe-cv.mjs --patients STS_001,STS_002,STS_003,STS_004 --folds 2 --arms plan \
//     --epochs 1 --jobs 1 --out /tmp/recipe-smoke
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bin, medseg, quote, root, shared } from './medseg-bin.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'experiments/out/recipe-cv') },
    patients: { type: 'string', default: Array.from({ length: 28 }, (_, i) => `STS_${String(i + 1).padStart(3, '0')}`).join(',') },
    'test-patients': { type: 'string', default: '' },
    folds: { type: 'string', default: '5' },
    arms: { type: 'string', default: 'plan,alpha1,decoder-narrow,input128,input192,zscore,epochs-half,epochs-double,augment-light,augment-heavy,dice-focal,no-largest-component' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    backend: { type: 'string', default: 'auto' },
    'time-budget': { type: 'string', default: '60m' },
    /** Overrides the plan's epochs in every arm (smoke runs). */
    epochs: { type: 'string', default: '' },
    weights: { type: 'string', default: join(shared, 'weights') },
  },
});
const out = resolve(args.out);
const folds = Number(args.folds);
if (!(Number.isInteger(folds) && folds >= 2)) throw new Error(`--folds must be an integer >= 2, got ${args.folds}`);
const patients = args.patients.split(',').map((p) => p.trim()).filter(Boolean);
const testPatients = args['test-patients'].split(',').map((p) => p.trim()).filter(Boolean);
const jobs = Number(args.jobs);

/** Local ImageNet weights by encoder (the folder names ../shared/weights uses). @type {Record<string, string>} */
const weightsFor = {
  'mobilenet_v1_0.25': join(args.weights, 'mobilenet_v1_0.25_224'),
  'mobilenet_v1_1.0': join(args.weights, 'mobilenet_v1_1.00_224_to_conv_pw_12'),
};

/** Runs a medseg command without blocking, its stderr (progress) into a log. @param {string[]} argv @param {string} logFile */
function medsegAsync(argv, logFile) {
  console.log(`$ medseg ${quote(argv)}   (progress: ${logFile})`);
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', openSync(logFile, 'w')] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise({ stdout, seconds: (performance.now() - started) / 1000 }) : reject(new Error(`medseg ${argv[0]} failed (exit ${code}); see ${logFile}`))));
  });
}

/** At most `limit` tasks at a time. @template T @param {(() => Promise<T>)[]} tasks @param {number} limit @returns {Promise<T[]>} */
async function pool(tasks, limit) {
  /** @type {T[]} */
  const results = [];
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}

/** A study tree of links to the patients' DICOM (never copied). @param {string} folder @param {string[]} ids @param {('image'|'mask')[]} parts */
function linkPatients(folder, ids, parts) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const id of ids) {
    mkdirSync(join(folder, id));
    for (const part of parts) symlinkSync(join(shared, 'data/sts/dicom', id, part), join(folder, id, part));
  }
}

/** The train flags a plan stands for. @param {any} plan */
function planFlags(plan) {
  const t = plan.train;
  return {
    encoder: t.encoder.value,
    'input-size': String(t.inputSize.value),
    'decoder-filters': t.decoderFilters.value.join(','),
    'batch-size': String(t.batchSize.value),
    lr: String(t.lr.value),
    loss: t.loss.value,
    augment: t.augment.value,
    'context-slices': String(t.contextSlices.value),
    epochs: String(t.epochs.value),
    patience: String(t.patience.value),
    'bn-recalibration': String(t.bnRecalibration.value),
  };
}

const studyStarted = performance.now();
mkdirSync(out, { recursive: true });
linkPatients(join(out, 'dicom'), patients, ['image', 'mask']);

// One dataset per normalisation the arms need; each is planned (the plan arm's choices come from the first).
/** @type {Map<string, string>} */
const datasets = new Map();
const datasetFor = (/** @type {string} */ normalize) => {
  const known = datasets.get(normalize);
  if (known) return known;
  const folder = join(out, `dataset-${normalize.replace(/[^a-z0-9.]+/gi, '_')}`);
  // A quarter in validation, as a user's dataset has, so the plan is the one a user gets (a dataset without a
  // validation split plans fold ensembles); the fold runs below deal out all the patients themselves.
  medseg(['ingest', '--images', join(out, 'dicom'), '--roi', 'GTV*', '--out', folder, '--val', '0.25', '--test', '0', '--seed', args.seed, '--normalize', normalize,
    ...(existsSync(join(folder, 'manifest.json')) ? ['--resume'] : [])]);
  datasets.set(normalize, folder);
  return folder;
};
const planned = datasetFor('auto');
const planning = medseg(['plan', '--dataset', planned, '--time-budget', args['time-budget'], '--json']);
const record = JSON.parse(planning.stdout);
const base = planFlags(record.plan);
if (args.epochs) Object.assign(base, { epochs: args.epochs, patience: args.epochs });
// Every prediction flag is explicit: a fold model's run.json holds the post-processing it chose on its validation
// fold, which is exactly the patients it is scored on here; applying that choice would flatter the arm.
const threshold = ['--threshold', String(record.plan.predict.threshold.value)];
const basePredict = [...threshold, record.plan.predict.largestComponent.value ? '--largest-component' : '--no-largest-component', record.plan.predict.tta.value ? '--tta' : '--no-tta'];
const planNormalize = record.plan.ingest.normalize.value;
// The planned dataset already follows the plan's normalisation unless the plan asks for a re-ingest over it.
if (!/normalisation/.test(record.plan.ingest.reingest ?? '')) datasets.set(planNormalize, planned);

/**
 * Each arm: what it changes from the plan. `flags` override train flags, `normalize` ingests its own dataset,
 * `predict` replaces the prediction flags.
 * @type {Record<string, { what: string; flags?: Record<string, string>; normalize?: string; predict?: string[] }>}
 */
const arms = {
  plan: { what: 'the plan as written (plans.json)' },
  alpha1: { what: 'encoder MobileNet v1 α1.0 (to conv_pw_12)', flags: { encoder: 'mobilenet_v1_1.0' } },
  alpha025: { what: 'encoder MobileNet v1 α0.25', flags: { encoder: 'mobilenet_v1_0.25' } },
  'decoder-narrow': { what: 'decoder 64-32-16-16-8', flags: { 'decoder-filters': '64,32,16,16,8' } },
  // Meant as the narrow decoder at the plan's training time: alone on one wasm thread its step takes 1.46 s against
  // the plan's 2.41 s (160 px, batch 8, α1.0). In the study (2026-12-02, two trainings at a time) its epochs took
  // 248-282 s, no shorter than the plan's had (240-280 s), so it had 1.6 times the plan's training time, and lost.
  'decoder-narrow-longer': {
    what: 'decoder 64-32-16-16-8 with 1.6 times the epochs',
    flags: { 'decoder-filters': '64,32,16,16,8', epochs: String(Math.round(Number(base.epochs) * 1.6)), patience: String(Math.round(Number(base.epochs) * 1.6)) },
  },
  'decoder-wide': { what: 'decoder 256-128-64-32-16', flags: { 'decoder-filters': '256,128,64,32,16' } },
  input128: { what: 'input 128 px', flags: { 'input-size': '128' } },
  input192: { what: 'input 192 px', flags: { 'input-size': '192' } },
  zscore: { what: 'per-case z-score (clipped to 0.5/99.5 percentiles) instead of percentile scaling', normalize: 'zscore:0.5,99.5' },
  'epochs-half': { what: 'half the planned epochs', flags: { epochs: String(Math.max(1, Math.round(Number(base.epochs) / 2))), patience: String(Math.max(1, Math.round(Number(base.epochs) / 2))) } },
  'epochs-double': { what: 'twice the planned epochs', flags: { epochs: String(Number(base.epochs) * 2), patience: String(Number(base.epochs) * 2) } },
  'lr-2e-3': { what: 'learning rate 2e-3', flags: { lr: '0.002' } },
  'batch-16': { what: 'batch 16', flags: { 'batch-size': '16' } },
  'augment-light': { what: 'light augmentation (left-right flips, ±15° rotations)', flags: { augment: 'light' } },
  'augment-heavy': { what: 'heavy augmentation', flags: { augment: 'heavy' } },
  'dice-focal': { what: 'loss Dice + focal', flags: { loss: 'dice+focal' } },
  tversky: { what: 'loss Tversky', flags: { loss: 'tversky' } },
  'no-largest-component': { what: 'no largest-component post-processing', predict: basePredict.map((flag) => (flag === '--largest-component' ? '--no-largest-component' : flag)) },
  tta: { what: 'flip TTA at prediction', predict: basePredict.map((flag) => (flag === '--no-tta' ? '--tta' : flag)) },
};
const armNames = args.arms.split(',').map((a) => a.trim()).filter(Boolean);
for (const name of armNames) if (!(name in arms)) throw new Error(`unknown arm '${name}' (arms: ${Object.keys(arms).join(', ')})`);

/** @param {string} arm */
function armSettings(arm) {
  const spec = arms[arm];
  const flags = { ...base, ...(spec.flags ?? {}) };
  const dataset = datasetFor(spec.normalize ?? planNormalize);
  const weights = weightsFor[flags.encoder];
  return { dataset, flags, weights, predict: spec.predict ?? basePredict };
}
const settings = Object.fromEntries([...new Set(['plan', ...armNames])].map((arm) => [arm, armSettings(arm)]));
// Arms that change only the prediction reuse the plan arm's fold models.
const modelOf = (/** @type {string} */ arm) => (arms[arm].flags || arms[arm].normalize ? arm : 'plan');
const trained = [...new Set(armNames.map(modelOf))];
const runDir = (/** @type {string} */ arm, /** @type {number} */ k) => join(out, `run-${modelOf(arm)}-fold${k}`);
/** @type {Record<string, number>} */
const trainSeconds = Object.fromEntries(trained.map((arm) => [arm, 0]));
/** @type {string[]} */
const commands = [];

/** The command that made a run (run.json keeps it through `--resume`, which would otherwise be what is listed). @param {string} run */
const commandOf = (run) => `medseg ${quote(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).commandLine.slice(1))}`;

// Training: every arm that needs its own models x fold, `--jobs` at a time (one wasm thread each). A finished
// run (its train-done.json there) is skipped; an interrupted one continues with --resume.
await pool(trained.flatMap((arm) => Array.from({ length: folds }, (_, k) => async () => {
  const run = runDir(arm, k);
  const { dataset, flags, weights } = settings[arm];
  const fresh = ['train', '--dataset', dataset, '--out', run, '--no-plan', ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}`, value]),
    ...(weights ? ['--encoder-weights', weights] : []), '--seed', args.seed, '--fold', String(k), '--folds', String(folds), '--backend', args.backend, '--json'];
  // A run left by an earlier search with other settings (another --epochs, a changed plan) must not be reused as
  // this arm's: its results would be reported under settings it was not trained with.
  if (existsSync(join(run, 'run.json'))) {
    const made = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).commandLine.slice(1);
    if (JSON.stringify(made) !== JSON.stringify(fresh)) {
      throw new Error(`${run} was trained by 'medseg ${quote(made)}', not by this search's 'medseg ${quote(fresh)}': remove it or choose another --out`);
    }
  }
  if (existsSync(join(run, 'train-done.json'))) {
    trainSeconds[arm] += JSON.parse(readFileSync(join(run, 'train-done.json'), 'utf8')).seconds;
    if (k === 0) commands.push(commandOf(run));
    return;
  }
  const resume = existsSync(join(run, 'last/state.json'));
  const argv = resume ? ['train', '--out', run, '--resume', '--backend', args.backend, '--json'] : fresh;
  const result = await medsegAsync(argv, join(out, `train-${arm}-fold${k}.log`));
  if (k === 0) commands.push(commandOf(run));
  const summary = JSON.parse(result.stdout);
  const seconds = summary.seconds ?? result.seconds;
  trainSeconds[arm] += seconds;
  writeFileSync(join(run, 'train-done.json'), `${JSON.stringify({ seconds, argv, summary }, null, 2)}\n`);
})), jobs);

// Cross-validation predictions: each fold's last checkpoint predicts the patients it held out; together they
// cover every development patient once. Then one report per arm.
/** @type {Record<string, { id: string; dice: number }[]>} */
const perPatient = {};
/** Each arm minus the plan arm, patient by patient (`medseg eval --compare`: bootstrap CI, Wilcoxon). @type {Record<string, any>} */
const pairedDice = {};
// The plan arm first: the others are compared with its predictions.
for (const arm of [...armNames].sort((a, b) => Number(b === 'plan') - Number(a === 'plan'))) {
  const { dataset, predict } = settings[arm];
  await pool(Array.from({ length: folds }, (_, k) => async () => {
    const predicted = join(out, `cv-${arm}`, `fold${k}`);
    if (existsSync(join(predicted, 'predictions.json'))) return;
    await medsegAsync(['predict', '--model', join(runDir(arm, k), 'last'), '--input', dataset, '--split', 'val', '--out', predicted, '--no-seg', '--backend', args.backend, ...predict],
      join(out, `predict-${arm}-fold${k}.log`));
  }), jobs);
  const merged = join(out, `cv-${arm}`, 'all');
  rmSync(merged, { recursive: true, force: true });
  mkdirSync(merged, { recursive: true });
  for (let k = 0; k < folds; k++) {
    const predicted = JSON.parse(readFileSync(join(out, `cv-${arm}`, `fold${k}`, 'predictions.json'), 'utf8'));
    for (const c of predicted.cases) symlinkSync(join(out, `cv-${arm}`, `fold${k}`, `${c.id}.nii.gz`), join(merged, `${c.id}.nii.gz`));
  }
  const report = join(out, `report-cv-${arm}`);
  rmSync(report, { recursive: true, force: true });
  const comparePlan = arm !== 'plan' && armNames.includes('plan') && settings[arm].dataset === settings['plan'].dataset;
  medseg(['eval', '--pred', merged, '--truth', dataset, '--out', report, ...(comparePlan ? ['--compare', join(out, 'cv-plan', 'all')] : [])]);
  const metrics = JSON.parse(readFileSync(join(report, 'metrics.json'), 'utf8'));
  perPatient[arm] = metrics.cases.map((/** @type {any} */ c) => ({ id: c.patient ?? c.case, dice: c.dice ?? Number.NaN }));
  if (comparePlan) pairedDice[arm] = Object.values(metrics.comparison.paired)[0]?.dice;
}

// Optional: the fold ensemble of each arm on test patients (only once the rules are chosen).
/** @type {Record<string, { id: string; dice: number }[]>} */
const test = {};
if (testPatients.length > 0) {
  const testDataset = join(out, 'test-dataset');
  linkPatients(join(out, 'test-dicom'), testPatients, ['image', 'mask']);
  medseg(['ingest', '--images', join(out, 'test-dicom'), '--roi', 'GTV*', '--out', testDataset, '--val', '0', '--test', '1']);
  linkPatients(join(out, 'test-images'), testPatients, ['image']);
  for (const arm of armNames) {
    const predicted = join(out, `test-${arm}`);
    if (!existsSync(join(predicted, 'predictions.json'))) {
      await medsegAsync(['predict', ...Array.from({ length: folds }, (_, k) => ['--model', runDir(arm, k)]).flat(), '--input', join(out, 'test-images'), '--out', predicted, '--no-seg', '--backend', args.backend, ...settings[arm].predict],
        join(out, `predict-test-${arm}.log`));
    }
    const report = join(out, `report-test-${arm}`);
    rmSync(report, { recursive: true, force: true });
    medseg(['eval', '--pred', predicted, '--truth', testDataset, '--out', report]);
    test[arm] = JSON.parse(readFileSync(join(report, 'metrics.json'), 'utf8')).cases.map((/** @type {any} */ c) => ({ id: c.patient ?? c.case, dice: c.dice ?? Number.NaN }));
  }
}

/** @param {number[]} values */
function stats(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  const median = (v[Math.floor((v.length - 1) / 2)] + v[Math.ceil((v.length - 1) / 2)]) / 2;
  return { mean, std, median, min: v[0], n: v.length };
}
/** Mean per-patient difference from the plan arm over the patients both scored. @param {string} arm */
function pairedWithPlan(arm) {
  const plan = new Map((perPatient['plan'] ?? []).map((c) => [c.id, c.dice]));
  const diffs = perPatient[arm].filter((c) => plan.has(c.id) && Number.isFinite(c.dice) && Number.isFinite(plan.get(c.id))).map((c) => c.dice - /** @type {number} */ (plan.get(c.id)));
  if (arm === 'plan' || diffs.length === 0) return '—';
  const s = stats(diffs);
  const signed = (/** @type {number} */ x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
  const p = pairedDice[arm];
  const test = p ? `; 95% bootstrap CI ${signed(p.ci95[0])} to ${signed(p.ci95[1])}, Wilcoxon p = ${p.wilcoxon?.p_value?.toFixed(2) ?? 'n/a'}` : '';
  return `${signed(s.mean)} (${diffs.filter((d) => d > 0).length}/${diffs.length} better${test})`;
}
const fmt = (/** @type {ReturnType<typeof stats>} */ s) => `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)} (median ${s.median.toFixed(3)}, min ${s.min.toFixed(3)})`;
const minutes = ((performance.now() - studyStarted) / 60000).toFixed(1);
const lines = [
  `Cross-validated recipe search (\`node experiments/recipe-cv.mjs --folds ${folds} --arms ${armNames.join(',')}\`), ${patients.length} development patients ` +
    `(${patients[0]}-${patients[patients.length - 1]}), ${folds} folds, seed ${args.seed}, each patient scored by the last checkpoint of the fold model that never trained on it; ` +
    `plan: ${Object.entries(base).map(([k, v]) => `--${k} ${v}`).join(' ')}${basePredict.length ? ` (predict ${basePredict.join(' ')})` : ''}, normalisation ${planNormalize}; the whole search took ${minutes} min:`,
  '',
  '| arm | change from the plan | CV Dice per patient | paired vs plan | training wall time (all folds) |',
  '| --- | --- | --- | --- | --- |',
  ...armNames.map((arm) => `| ${arm} | ${arms[arm].what} | ${fmt(stats(perPatient[arm].map((c) => c.dice)))} | ${pairedWithPlan(arm)} | ${modelOf(arm) === arm ? `${(trainSeconds[arm] / 60).toFixed(1)} min` : `the ${modelOf(arm)} arm's models`} |`),
  ...(testPatients.length === 0 ? [] : [
    '',
    `Fold ensembles on the test patients (${testPatients.join(', ')}):`,
    '',
    '| arm | test Dice per patient |',
    '| --- | --- |',
    ...armNames.map((arm) => `| ${arm} | ${fmt(stats(test[arm].map((c) => c.dice)))} |`),
  ]),
  '',
  'Commands (fold 0 of each arm; the other folds differ in --fold):',
  '',
  '```sh',
  `medseg plan --dataset ${planned} --time-budget ${args['time-budget']}`,
  ...commands,
  '```',
];
writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
writeFileSync(join(out, 'results.json'), `${JSON.stringify({ args, plan: record.plan, base, perPatient, pairedDice, test, trainSeconds }, null, 2)}\n`);
console.log(`\n${lines.join('\n')}`);
