// @ts-check
// The soft-tissue-sarcoma study (issue 6): `npm run study:sts [-- --epochs N --out DIR]`.
//
// Ingests the 36 IBSI STS patients from DICOM + RTSTRUCT, then runs three arms on one patient split (STS_001-024
// train, STS_025-028 validation for choosing the epoch, STS_029-036 test, never seen in training), each arm one
// model per seed in --seeds (several make an ensemble: mean probabilities at prediction):
//   imagenet  - ImageNet MobileNet v1 encoder (a1.0 by default, cut after conv_pw_12), frozen
//   random    - the same network with a random encoder, frozen (--encoder-weights none)
//   finetune  - ImageNet encoder with its top blocks fine-tuned (--unfreeze-from conv_dw_12)
// Each arm predicts the test patients from their DICOM series and is evaluated against the ingested RTSTRUCT
// masks; `medseg eval --compare` gives the paired comparisons. Every step calls the library runner behind a
// `medseg` command and prints that command, so a user can repeat it; training and prediction run in worker
// threads, so arms train side by side (--jobs, one wasm thread each).
// With --folds N each arm instead trains one model per cross-validation fold of the 28 development patients
// (`medseg train --fold k --folds N`: fold k chooses the epoch, the rest train), ensembles them on the test
// patients, and also reports the cross-validation Dice: every development patient predicted by the fold model
// that never trained on it.
// Writes OUT/results.md (the README's Results table) and results.json. Run again with the same --out, it reuses
// the ingested cases and continues (or skips) each training run from its checkpoint.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestDataset } from '@medseg/data';
import { runEvaluation, writeReports } from '@medseg/eval';
import { inWorker, quote, root, shared, trainingOptions } from './medseg-bin.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'experiments/out/sts-study') },
    epochs: { type: 'string', default: '10' },
    'input-size': { type: 'string', default: '128' },
    'decoder-filters': { type: 'string', default: '64-32-16-16-8' },
    encoder: { type: 'string', default: 'mobilenet_v1_1.0' },
    weights: { type: 'string', default: join(shared, 'weights/mobilenet_v1_1.00_224_to_conv_pw_12') },
    backend: { type: 'string', default: 'auto' },
    seeds: { type: 'string', default: '1' },
    folds: { type: 'string', default: '0' },
    arms: { type: 'string', default: 'imagenet,random,finetune' },
    lr: { type: 'string', default: '0.002' },
    augment: { type: 'string', default: 'light' },
    patience: { type: 'string', default: '5' },
    jobs: { type: 'string', default: '2' },
    'context-slices': { type: 'string', default: '0' },
    tta: { type: 'boolean', default: false },
    'largest-component': { type: 'boolean', default: false },
  },
});
const out = resolve(args.out);
const patient = (n) => `STS_${String(n).padStart(3, '0')}`;
const testPatients = Array.from({ length: 8 }, (_, i) => patient(29 + i));

/** Runs `tasks` with at most `limit` at a time. @template T @param {(() => Promise<T>)[]} tasks @param {number} limit */
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

const studyStarted = performance.now();
mkdirSync(out, { recursive: true });
const dataset = join(out, 'dataset');
const valPatients = 'STS_025,STS_026,STS_027,STS_028';
console.log(`$ medseg ${quote(['ingest', '--images', join(shared, 'data/sts/dicom'), '--roi', 'GTV*', '--out', dataset, '--val', '0', '--test', '0', '--val-patients', valPatients, '--test-patients', testPatients.join(','), '--resume'])}`);
await ingestDataset({ images: join(shared, 'data/sts/dicom'), roi: ['GTV*'], out: dataset, val: 0, test: 0, valPatients, testPatients: testPatients.join(','), resume: true });

/** `medseg eval` through the library: the report in `report` (replacing an earlier one). @param {string} pred @param {string} report @param {string} [compare] */
async function evaluate(pred, report, compare) {
  console.log(`$ medseg ${quote(['eval', '--pred', pred, '--truth', dataset, '--out', report, ...(compare === undefined ? [] : ['--compare', compare]), '--overwrite'])}`);
  const result = await runEvaluation({ pred, truth: dataset, ...(compare === undefined ? {} : { compare }) });
  await writeReports(result, report, { overwrite: true });
}

// The test patients' DICOM series, as a tree of links, for prediction from DICOM.
const testImages = join(out, 'test-dicom');
rmSync(testImages, { recursive: true, force: true });
mkdirSync(testImages);
for (const id of testPatients) symlinkSync(join(shared, 'data/sts/dicom', id, 'image'), join(testImages, id));

const seeds = args.seeds.split(',').map((s) => s.trim());
// Each arm's members: one model per seed on the fixed split, or (--folds N) one per cross-validation fold of the
// 28 development patients, with the first seed, as nnU-Net trains its five folds.
const folds = Number(args.folds);
/** @type {{ name: string; options: string[]; values: Record<string, number> }[]} */
const members = folds >= 2
  ? Array.from({ length: folds }, (_, k) => ({ name: `fold${k}`, options: ['--seed', seeds[0], '--fold', String(k), '--folds', String(folds)], values: { seed: Number(seeds[0]), fold: k, folds } }))
  : seeds.map((seed) => ({ name: `seed${seed}`, options: ['--seed', seed], values: { seed: Number(seed) } }));
const commonValues = {
  encoder: args.encoder, epochs: Number(args.epochs), inputSize: Number(args['input-size']), decoderFilters: args['decoder-filters'].split('-').map(Number), batchSize: 16,
  lr: Number(args.lr), augment: args.augment, patience: Number(args.patience), backend: args.backend, contextSlices: Number(args['context-slices']),
};
const common = ['--encoder', args.encoder, '--epochs', args.epochs, '--input-size', args['input-size'], '--decoder-filters', args['decoder-filters'], '--batch-size', '16',
  '--lr', args.lr, '--augment', args.augment, '--patience', args.patience, '--backend', args.backend, '--context-slices', args['context-slices']];
/** @type {Record<string, Record<string, unknown>>} */
const armValues = {
  imagenet: { encoderWeights: args.weights },
  random: { encoderWeights: 'none' },
  finetune: { encoderWeights: args.weights, unfreezeFrom: 'conv_dw_12', lrEncoder: 0.0001 },
};
/** @type {Record<string, string[]>} */
const armOptions = {
  imagenet: ['--encoder-weights', args.weights],
  random: ['--encoder-weights', 'none'],
  finetune: ['--encoder-weights', args.weights, '--unfreeze-from', 'conv_dw_12', '--lr-encoder', '0.0001'],
};
const arms = args.arms.split(',');
const predictOptions = [...(args.tta ? ['--tta'] : []), ...(args['largest-component'] ? ['--largest-component'] : [])];
/** @type {Record<string, { trainSeconds: number; backend: string; bestEpoch: unknown }[]>} */
const timings = Object.fromEntries(arms.map((arm) => [arm, []]));
const runDir = (/** @type {string} */ arm, /** @type {string} */ member) => join(out, `run-${arm}-${member}`);
// One training per arm and member, two at a time; a run folder that already holds a checkpoint is continued with
// --resume (which returns at once for a finished run), so an interrupted study picks up where it stopped.
await pool(arms.flatMap((arm) => members.map((member) => async () => {
  const run = runDir(arm, member.name);
  const resume = existsSync(join(run, 'last/state.json'));
  const argv = resume ? ['train', '--out', run, '--resume', '--backend', args.backend] : ['train', '--dataset', dataset, '--out', run, ...common, ...member.options, ...(armOptions[arm] ?? [])];
  const options = trainingOptions({ ...commonValues, ...member.values, ...(armValues[arm] ?? {}), out: run, dataset, resume });
  const trained = await inWorker('train', argv, options, join(out, `train-${arm}-${member.name}.log`));
  const summary = trained.summary;
  timings[arm].push({ trainSeconds: summary.seconds ?? trained.seconds, backend: summary.backend ?? 'see log', bestEpoch: summary.best ?? null });
})), Number(args.jobs));
// Each arm predicts the test patients with the ensemble of its members (mean probabilities, as nnU-Net
// ensembles its folds).
const predictValues = { backend: args.backend, tta: args.tta, largestComponent: args['largest-component'], overwrite: true };
await pool(arms.map((arm) => () => inWorker('predict', ['predict', ...members.flatMap((member) => ['--model', runDir(arm, member.name)]), '--input', testImages, '--out', join(out, `pred-${arm}`),
  '--backend', args.backend, ...predictOptions, '--overwrite'], { ...predictValues, models: members.map((member) => runDir(arm, member.name)), input: testImages, out: join(out, `pred-${arm}`) },
  join(out, `predict-${arm}.log`))), Number(args.jobs));

// Cross-validation: each fold's model predicts the development patients it held out, from its last checkpoint
// (best/ was chosen on those very patients, which would flatter them); together they cover all 28 once.
/** @type {Record<string, any>} */
const crossValidation = {};
if (folds >= 2) {
  for (const arm of arms) {
    const merged = join(out, `cv-${arm}`, 'all');
    rmSync(merged, { recursive: true, force: true });
    mkdirSync(merged, { recursive: true });
    await pool(members.map((member) => () => inWorker('predict', ['predict', '--model', join(runDir(arm, member.name), 'last'), '--input', dataset, '--split', 'val', '--out', join(out, `cv-${arm}`, member.name),
      '--no-seg', '--backend', args.backend, ...predictOptions, '--overwrite'],
      { ...predictValues, models: [join(runDir(arm, member.name), 'last')], input: dataset, split: 'val', out: join(out, `cv-${arm}`, member.name), seg: false },
      join(out, `cv-predict-${arm}-${member.name}.log`))), Number(args.jobs));
    for (const member of members) {
      const predicted = JSON.parse(readFileSync(join(out, `cv-${arm}`, member.name, 'predictions.json'), 'utf8'));
      for (const c of predicted.cases) symlinkSync(join(out, `cv-${arm}`, member.name, `${c.id}.nii.gz`), join(merged, `${c.id}.nii.gz`));
    }
    await evaluate(merged, join(out, `report-cv-${arm}`));
    crossValidation[arm] = JSON.parse(readFileSync(join(out, `report-cv-${arm}`, 'metrics.json'), 'utf8'));
  }
}

/** @type {Record<string, any>} */
const reports = {};
for (const arm of arms) {
  // The ImageNet arm's report; for each other arm, the ImageNet predictions compared with it, pair by pair.
  const name = arm === 'imagenet' ? 'report-imagenet' : `report-imagenet-vs-${arm}`;
  await evaluate(join(out, 'pred-imagenet'), join(out, name), arm === 'imagenet' ? undefined : join(out, `pred-${arm}`));
  reports[arm] = JSON.parse(readFileSync(join(out, name, 'metrics.json'), 'utf8'));
  if (arm !== 'imagenet') {
    const own = join(out, `report-${arm}`);
    await evaluate(join(out, `pred-${arm}`), own);
    reports[`${arm}-own`] = JSON.parse(readFileSync(join(own, 'metrics.json'), 'utf8'));
  }
}

/** @param {number[]} values */
function stats(values) {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, finite.length - 1));
  const mid = (finite.length - 1) / 2;
  const median = (finite[Math.floor(mid)] + finite[Math.ceil(mid)]) / 2;
  return { mean, std, median, n: finite.length };
}
const armCases = (arm) => (arm === 'imagenet' ? reports['imagenet'] : reports[`${arm}-own`]).cases;
const cell = (s, digits) => `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)} (median ${s.median.toFixed(digits)})`;
const rows = arms.map((arm) => {
  const cases = armCases(arm);
  const dice = stats(cases.map((c) => c.dice ?? Number.NaN));
  const iou = stats(cases.map((c) => c.iou ?? Number.NaN));
  const hd95 = stats(cases.map((c) => c.hd95 ?? Number.NaN));
  return { arm, dice, iou, hd95, trainSeconds: timings[arm].reduce((sum, t) => sum + t.trainSeconds, 0) };
});
const paired = arms.filter((arm) => arm !== 'imagenet').map((arm) => {
  const classes = reports[arm].comparison?.paired ?? {};
  const dice = Object.values(classes)[0]?.dice;
  return { arm, dice };
});

const membersText = folds >= 2
  ? `an ensemble of ${folds} cross-validation fold models per arm (seed ${seeds[0]})`
  : seeds.length === 1 ? `one seed (${seeds[0]})` : `an ensemble of ${seeds.length} seeds (${seeds.join(', ')}) per arm`;
// Only the development patients were predicted, so every case of the report is one of them.
const cvRows = Object.entries(crossValidation).map(([arm, { cases }]) => {
  return `| ${arm} | ${cases.length} | ${cell(stats(cases.map((/** @type {any} */ c) => c.dice ?? Number.NaN)), 3)} | ${cell(stats(cases.map((/** @type {any} */ c) => c.hd95 ?? Number.NaN)), 1)} |`;
});
const lines = [
  `Per-patient metrics on the 8 test patients (STS_029-036), ${membersText}, encoder ${args.encoder}, ${args.epochs} epochs at most, input ${args['input-size']}, ` +
    `decoder ${args['decoder-filters']}, ${args['context-slices'] === '0' ? '2D input' : `2.5D input (${args['context-slices']} context slice(s) each side)`}, lr ${args.lr}, augment ${args.augment}, prediction ${predictOptions.join(' ') || 'plain'}, backend ${timings[arms[0]]?.[0]?.backend}, ` +
    `${args.jobs} training run(s) at a time; the whole study took ${((performance.now() - studyStarted) / 60000).toFixed(1)} min:`,
  '',
  '| arm | Dice | IoU | HD95 (mm) | training time (all members) |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.arm} | ${cell(r.dice, 3)} | ${cell(r.iou, 3)} | ${cell(r.hd95, 1)} | ${(r.trainSeconds / 60).toFixed(1)} min |`),
  '',
  ...paired.map((p) => p.dice
    ? `Paired Dice, imagenet minus ${p.arm}: ${p.dice.mean_diff.toFixed(3)} (95% bootstrap CI ${p.dice.ci95[0].toFixed(3)} to ${p.dice.ci95[1].toFixed(3)}), Wilcoxon p = ${p.dice.wilcoxon?.p_value?.toFixed(3) ?? 'n/a'} (n = ${p.dice.n}).`
    : `Paired Dice, imagenet minus ${p.arm}: not available.`),
  ...(cvRows.length === 0 ? [] : [
    '',
    `Cross-validation over the development patients (STS_001-028, ${folds} folds; each patient predicted by the last checkpoint of the fold model that never trained on it):`,
    '',
    '| arm | patients | Dice | HD95 (mm) |',
    '| --- | --- | --- | --- |',
    ...cvRows,
  ]),
];
writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
writeFileSync(join(out, 'results.json'), `${JSON.stringify({ args, rows, paired, timings, crossValidation: Object.fromEntries(Object.entries(crossValidation).map(([arm, r]) => [arm, r.cases])) }, null, 2)}\n`);
console.log(`\n${lines.join('\n')}`);
