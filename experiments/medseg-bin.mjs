// @ts-check
// What the experiment scripts share: where the repository and ../shared are, the built `medseg` bin run as a
// user runs it, and the library runners of @medseg/models run in worker threads (one TF.js instance each, so
// several can train side by side), each printed first as the `medseg` command that does the same.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { defaultDecoderFilters } from '@medseg/models';

export const root = resolve(fileURLToPath(import.meta.url), '../..');
export const shared = process.env['MEDSEG_SHARED'] ?? resolve(root, '../shared');
export const bin = join(root, 'apps/cli/bin/medseg.js');

/** A command line as a shell would take it. @param {readonly string[]} argv */
export const quote = (argv) => argv.map((a) => (/[\s*,]/.test(a) ? `'${a}'` : a)).join(' ');

/**
 * Runs `medseg ARGV` to completion (stderr, the progress, passes through) and returns its stdout and wall time;
 * throws when it fails. @param {string[]} argv
 */
export function medseg(argv) {
  console.log(`$ medseg ${quote(argv)}`);
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`medseg ${argv[0]} failed (exit ${result.status})`);
  return { stdout: result.stdout, seconds: (performance.now() - started) / 1000 };
}

/**
 * Runs `runTraining` ('train') or `runPrediction` ('predict') with `options` in a worker thread and resolves with
 * its summary (train: backend, seconds, best, epochs; predict: backend, cases, seconds) and the wall time. `argv`
 * is the equivalent `medseg` command, printed and recorded as the run's command line.
 * @param {'train' | 'predict'} runner @param {readonly string[]} argv @param {Record<string, unknown>} options @param {string} logFile
 * @returns {Promise<{ summary: any; seconds: number }>}
 */
export function inWorker(runner, argv, options, logFile) {
  console.log(`$ medseg ${quote(argv)}   (events: ${logFile})`);
  const started = performance.now();
  const worker = new Worker(new URL('./runner-worker.mjs', import.meta.url), { workerData: { runner, options: { ...options, commandLine: ['medseg', ...argv] }, logFile } });
  return new Promise((resolvePromise, reject) => {
    /** @type {unknown} */
    let summary;
    worker.on('message', (message) => (summary = message));
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0 || summary === undefined) reject(new Error(`${runner} failed (worker exit ${code}); see ${logFile}`));
      else resolvePromise({ summary, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** `medseg train` options as runTraining takes them, with the CLI's defaults. @param {Record<string, any>} o */
export function trainingOptions(o) {
  return {
    out: o.out,
    dataset: o.dataset,
    resume: o.resume === true,
    model: {
      encoder: o.encoder ?? 'mobilenet_v1_0.25',
      encoderWeights: o.encoderWeights ?? 'imagenet',
      decoderFilters: o.decoderFilters ?? [...defaultDecoderFilters],
      inputSize: o.inputSize ?? 128,
      contextSlices: o.contextSlices ?? 0,
      ...(o.unfreezeFrom === undefined ? {} : { unfreezeFrom: o.unfreezeFrom }),
    },
    settings: {
      epochs: o.epochs ?? 30,
      batchSize: o.batchSize ?? 8,
      learningRate: o.lr ?? 1e-3,
      encoderLearningRate: o.lrEncoder ?? 1e-5,
      loss: o.loss ?? 'dice+bce',
      seed: o.seed ?? 0,
      patience: o.patience ?? 10,
      augment: o.augment ?? 'default',
      batchNormRecalibration: o.bnRecalibration ?? 512,
    },
    ...(o.fold === undefined ? {} : { fold: { fold: o.fold, folds: o.folds } }),
    backend: o.backend ?? 'auto',
  };
}
