// @ts-check
// Which pretrained encoder (issue 16): `node experiments/backbone-comparison.mjs [--epochs 4 --out DIR]`.
//
// A SHORT comparison on the IBSI STS sarcoma set, sized for a shared 2-core machine: 12 development patients
// (STS_001-008 train, STS_009-012 validation), the 8 test patients STS_029-036 predicted from their DICOM series and
// evaluated once at the end (never used to choose anything). One frozen-encoder U-Net per arm, same recipe
// (input 128, decoder 64-32-16-16-8, batch 16, lr 0.002 cosine, augment light, seed 1, --epochs epochs, best epoch
// by validation Dice per patient). Arms run one after another (each training process uses one wasm thread).
// Writes OUT/results.md and results.json; run again with the same --out, it reuses what is done.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bin, medseg, root, shared } from './medseg-bin.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'experiments/out/backbones') },
    epochs: { type: 'string', default: '4' },
    arms: { type: 'string', default: 'v1_025,v1_100,v2_100' },
  },
});
const out = resolve(args.out);
/** @type {Record<string, { encoder: string; weights: string }>} */
const armSpecs = {
  v1_025: { encoder: 'mobilenet_v1_0.25', weights: join(shared, 'weights/mobilenet_v1_0.25_224') },
  v1_100: { encoder: 'mobilenet_v1_1.0', weights: join(shared, 'weights/mobilenet_v1_1.00_224_to_conv_pw_12') },
  v2_100: { encoder: 'mobilenet_v2_1.0', weights: join(shared, 'weights/mobilenet_v2_1.0_224_no_top') },
};
const patient = (/** @type {number} */ n) => `STS_${String(n).padStart(3, '0')}`;
const dev = Array.from({ length: 12 }, (_, i) => patient(i + 1));
const val = dev.slice(8);
const test = Array.from({ length: 8 }, (_, i) => patient(29 + i));

mkdirSync(out, { recursive: true });
const images = join(out, 'images');
const testImages = join(out, 'test-dicom');
for (const [folder, ids, sub] of /** @type {const} */ ([[images, [...dev, ...test], ''], [testImages, test, 'image']])) {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  for (const id of ids) symlinkSync(join(shared, 'data/sts/dicom', id, sub), join(folder, id));
}
const dataset = join(out, 'dataset');
medseg(['ingest', '--images', images, '--roi', 'GTV*', '--out', dataset, '--val', '0', '--test', '0', '--val-patients', val.join(','), '--test-patients', test.join(',')]);

/** @type {Record<string, any>} */
const results = {};
for (const arm of args.arms.split(',')) {
  const spec = armSpecs[arm];
  if (spec === undefined) throw new Error(`unknown arm ${arm} (known: ${Object.keys(armSpecs).join(', ')})`);
  const run = join(out, `run-${arm}`);
  const trainArgs = existsSync(join(run, 'last/state.json'))
    ? ['train', '--out', run, '--resume', '--json']
    : ['train', '--dataset', dataset, '--out', run, '--no-plan', '--encoder', spec.encoder, '--encoder-weights', spec.weights, '--epochs', args.epochs, '--input-size', '128',
        '--batch-size', '16', '--lr', '0.002', '--augment', 'light', '--patience', '10', '--seed', '1', '--json'];
  medseg(trainArgs);
  const epochs = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.event === 'epoch');
  const pred = join(out, `pred-${arm}`);
  const timing = join(out, `predict-${arm}.time`);
  if (!existsSync(timing)) {
    rmSync(pred, { recursive: true, force: true });
    const started = performance.now();
    const result = spawnSync(process.execPath, [bin, 'predict', '--model', run, '--input', testImages, '--out', pred], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) throw new Error(`predict ${arm} failed`);
    writeFileSync(timing, `${((performance.now() - started) / 1000).toFixed(2)}\n`);
  }
  medseg(['eval', '--pred', pred, '--truth', dataset, '--out', join(out, `report-${arm}`)]);
  const metrics = JSON.parse(readFileSync(join(out, `report-${arm}`, 'metrics.json'), 'utf8'));
  const dice = Object.values(metrics.aggregate.per_case)[0].dice;
  const best = epochs.reduce((a, b) => (b.valDicePatient > a.valDicePatient ? b : a));
  results[arm] = {
    encoder: spec.encoder,
    epochs: epochs.length,
    bestEpoch: best.epoch,
    valDicePatient: best.valDicePatient,
    testDice: { mean: dice.mean, std: dice.std, median: dice.median, n: dice.n },
    secondsPerEpoch: epochs.map((e) => e.seconds),
    predictSecondsPerSeries: Number(readFileSync(timing, 'utf8')) / test.length,
  };
}
writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const lines = [
  '| encoder | val Dice per patient (best epoch) | test Dice, 8 patients: mean ± std (median) | s per epoch (each epoch) | predict s per series |',
  '| --- | --- | --- | --- | --- |',
  ...Object.values(results).map((r) => `| ${r.encoder} | ${r.valDicePatient.toFixed(3)} (${r.bestEpoch}/${r.epochs}) | ${r.testDice.mean.toFixed(3)} ± ${r.testDice.std.toFixed(3)} (${r.testDice.median.toFixed(3)}) | ${r.secondsPerEpoch.map((/** @type {number} */ s) => s.toFixed(0)).join(', ')} | ${r.predictSecondsPerSeries.toFixed(2)} |`),
];
writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
