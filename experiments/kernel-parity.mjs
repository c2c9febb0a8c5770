// @ts-check
// Issue 8's check of the wasm training kernels: `npm run study:kernel-parity [-- --epochs N --out DIR]`.
//
// Trains the same small STS run twice with the library runner (each in its own worker thread, so each has its own
// TF.js backend), once on the wasm backend (with medseg's
// replacement training kernels: Conv2DBackpropFilter, the faster Conv2DBackpropInput, the BN and upsampling
// gradients...) and once on the pure-JS cpu backend (tfjs's reference kernels), with the same seed, data and
// settings, and prints both runs' validation Dice per epoch side by side. Float rounding differs between the
// backends, so the weights drift apart slowly; the check is that training reaches the same validation Dice.
// STS_001-006 train, STS_007-008 validation, 64x64, MobileNet v1 a0.25 (shared weights), decoder 16-8-8-8-8.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ingestDataset } from '@medseg/data';
import { inWorker, quote, root, shared, trainingOptions } from './medseg-bin.mjs';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'experiments/out/kernel-parity') },
    epochs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
  },
});
const out = resolve(args.out);
const patients = Array.from({ length: 8 }, (_, i) => `STS_${String(i + 1).padStart(3, '0')}`);

mkdirSync(out, { recursive: true });
const images = join(out, 'images');
rmSync(images, { recursive: true, force: true });
mkdirSync(images);
for (const id of patients) symlinkSync(join(shared, 'data/sts/dicom', id), join(images, id));
const dataset = join(out, 'dataset');
console.log(`$ medseg ${quote(['ingest', '--images', images, '--roi', 'GTV*', '--out', dataset, '--val', '0', '--val-patients', 'STS_007,STS_008', '--resume'])}`);
await ingestDataset({ images, roi: ['GTV*'], out: dataset, val: 0, valPatients: 'STS_007,STS_008', resume: true });
const values = {
  encoder: 'mobilenet_v1_0.25', encoderWeights: join(shared, 'weights/mobilenet_v1_0.25_224'), inputSize: 64, decoderFilters: [16, 8, 8, 8, 8],
  batchSize: 8, epochs: Number(args.epochs), patience: Number(args.epochs), lr: 0.003, augment: 'none', seed: Number(args.seed),
};

const settings = ['--encoder', 'mobilenet_v1_0.25', '--encoder-weights', join(shared, 'weights/mobilenet_v1_0.25_224'), '--input-size', '64', '--decoder-filters', '16-8-8-8-8',
  '--batch-size', '8', '--epochs', args.epochs, '--patience', args.epochs, '--lr', '0.003', '--augment', 'none', '--seed', args.seed];
/** @type {Record<string, { seconds: number; dice: number[] }>} */
const runs = {};
for (const backend of ['wasm', 'cpu']) {
  const run = join(out, `run-${backend}`);
  rmSync(run, { recursive: true, force: true });
  const { seconds } = await inWorker('train', ['train', '--dataset', dataset, '--out', run, ...settings, '--backend', backend], trainingOptions({ ...values, out: run, dataset, backend }), join(out, `train-${backend}.log`));
  const epochs = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((e) => e.event === 'epoch');
  runs[backend] = { seconds, dice: epochs.map((e) => e.valDicePatient) };
}
const lines = [
  `Validation Dice per patient (STS_007-008) after each epoch, seed ${args.seed}, same data and settings:`,
  '',
  '| epoch | wasm (medseg kernels) | cpu (tfjs reference kernels) | difference |',
  '| --- | --- | --- | --- |',
  ...runs['wasm'].dice.map((d, i) => `| ${i + 1} | ${d.toFixed(4)} | ${runs['cpu'].dice[i]?.toFixed(4)} | ${(d - (runs['cpu'].dice[i] ?? Number.NaN)).toFixed(4)} |`),
  '',
  `Training wall time: wasm ${runs['wasm'].seconds.toFixed(0)} s, cpu ${runs['cpu'].seconds.toFixed(0)} s (${(runs['cpu'].seconds / runs['wasm'].seconds).toFixed(1)}x).`,
];
writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
console.log(`\n${lines.join('\n')}`);
