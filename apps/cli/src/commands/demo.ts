import { readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkOutputFolder, ingestDataset, pathExists, planDataset, prepareOutputFolder, writePhantomStudy } from '@medseg/data';
import { runEvaluation, writeReports } from '@medseg/eval';
import { type BackendChoice, backendChoices, defaultBackboneName, getBackbone, resolveEncoderWeights, runPrediction, runTraining, type TrainOptionValues } from '@medseg/models';
import type { Command } from 'commander';
import type { CommandModule } from '../command.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';

const ENCODER = defaultBackboneName;

/** ImageNet weights if they can be had (cache, download, or a local folder); otherwise say so and go on without. */
async function chooseEncoderWeights(requested: string, context: CliContext): Promise<string> {
  if (requested === 'none') return 'none';
  try {
    // MEDSEG_WEIGHTS_URL: the model.json of a mirror (shards beside it), for sites that cannot reach Google's storage.
    const mirror = context.env['MEDSEG_WEIGHTS_URL'];
    const probe = resolveEncoderWeights(getBackbone(ENCODER), requested, { env: context.env, ...(mirror ? { url: mirror } : {}) });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 30 s')), 30_000).unref());
    await Promise.race([probe, timeout]);
    return requested;
  } catch (error) {
    if (requested !== 'imagenet') throw error;
    writeLine(context.stderr, `medseg demo: the ImageNet weights could not be downloaded (${error instanceof Error ? error.message : String(error)}).`);
    writeLine(context.stderr, 'medseg demo: continuing with a randomly initialised encoder (--encoder-weights none): this run shows the pipeline,');
    writeLine(context.stderr, 'medseg demo: not what ImageNet transfer is worth. Pass --encoder-weights PATH (a folder with model.json) to use a local copy.');
    return 'none';
  }
}

/**
 * The whole pipeline on data the project makes itself: phantom → ingest → train → predict → eval, each step the
 * library call behind a medseg command, printed as that command first so a user can repeat it on their own data.
 */
export const demoCommand: CommandModule = {
  name: 'demo',
  summary: 'Run the whole pipeline (phantom DICOM study → ingest → train → predict → eval) and print the Dice reached',
  configure: (command: Command) =>
    command
      .option('--out <dir>', 'folder for everything the demo writes', 'medseg-demo')
      .option('--encoder-weights <source>', "'imagenet' (downloaded into the cache), a local folder, or 'none'", 'imagenet')
      .option('--patients <n>', 'phantom patients (at least 6: the last two are held out for testing, the two before for validation)', '12')
      .option('--epochs <n>', 'training epochs', '12')
      .option('--size <n>', 'phantom slice size and network input size (a multiple of 32)', '96')
      .option('--seed <n>', 'seed of the phantom, the split and the training', '1')
      .option('--backend <name>', 'TensorFlow.js backend', 'auto')
      .option('--overwrite', 'replace an earlier demo in --out (kept aside until the new one is finished)')
      // A fixed default rather than the machine's core count, so the demo gives the same bytes everywhere.
      .option('--workers <n>', 'threads that share training and prediction (see train --workers)', '2'),
  async run(_args, options, context) {
    const out = resolve(context.cwd, String(options['out']));
    const patients = Number(options['patients']);
    if (!Number.isInteger(patients) || patients < 6) throw new UsageError(`--patients must be an integer of at least 6, got '${String(options['patients'])}'`);
    for (const name of ['seed', 'size', 'epochs', 'workers'] as const) {
      const value = Number(options[name]);
      if (!Number.isInteger(value) || value < (name === 'seed' ? 0 : 1)) throw new UsageError(`--${name} must be a whole number, got '${String(options[name])}'`);
    }
    if (!backendChoices.includes(String(options['backend']) as BackendChoice)) throw new UsageError(`--backend must be one of ${backendChoices.join(', ')}, got '${String(options['backend'])}'`);
    // An earlier demo (or anything else) in --out is never mixed with this one: refused, or with --overwrite moved
    // aside and removed once the new demo has finished (put back if it fails).
    const overwrite = options['overwrite'] === true;
    await checkOutputFolder(out, { kind: 'demo', overwrite });
    const aside = overwrite && (await pathExists(out)) ? `${out}.old-${process.pid}` : undefined;
    if (aside !== undefined) await rename(out, aside);
    try {
      await prepareOutputFolder(out, { kind: 'demo' });
      const code = await demo(out, options, context);
      if (aside !== undefined) await rm(aside, { recursive: true, force: true });
      return code;
    } catch (error) {
      if (aside !== undefined) {
        await rm(out, { recursive: true, force: true });
        await rename(aside, out);
      }
      throw error;
    }
  },
};

async function demo(out: string, options: Record<string, unknown>, context: CliContext): Promise<ExitCode> {
  const seed = Number(options['seed']);
  const size = Number(options['size']);
  const epochs = Number(options['epochs']);
  const workers = Number(options['workers']);
  const patients = Number(options['patients']);
  const backend = String(options['backend']) as BackendChoice;
  const paths = { dicom: join(out, 'dicom'), dataset: join(out, 'dataset'), run: join(out, 'run'), predictions: join(out, 'predictions'), report: join(out, 'report') };
  const weights = await chooseEncoderWeights(String(options['encoderWeights']), context);
    const id = (n: number) => `PHANTOM_${String(n).padStart(3, '0')}`;
    // Validation patients choose the best epoch; the test patients are never seen until the report.
    const step = (text: string) => writeLine(context.stdout, `\n$ medseg ${text}`);
    const started = Date.now();
    // Each step calls the library function behind the command it prints, so a user can repeat it on their own data.
    step(`phantom --out ${paths.dicom} --patients ${patients} --seed ${seed} --size ${size}`);
    await writePhantomStudy(paths.dicom, { seed, patients, columns: size, rows: size, slices: 20 });
    const valPatients = [id(patients - 3), id(patients - 2)].join(',');
    const testPatients = [id(patients - 1), id(patients)].join(',');
    step(`ingest --images ${paths.dicom} --roi 'GTV*' --out ${paths.dataset} --val 0 --test 0 --val-patients ${valPatients} --test-patients ${testPatients}`);
    await ingestDataset({ images: paths.dicom, out: paths.dataset, roi: ['GTV*'], seed: 0, val: 0, test: 0, valPatients, testPatients, normalize: 'auto', emptySlices: 'keep', segThreshold: 0.5 });
    // The planner's choices for this dataset, then training on them under the demo's own overrides (flags over
    // the plan): a smaller network, fewer epochs and the phantom's size keep the demo to about a minute.
    step(`plan --dataset ${paths.dataset}`);
    const { record: plans, path: plansPath } = await planDataset(paths.dataset, { cores: workers });
    const p = plans.plan.train;
    writeLine(
      context.stdout,
      `plan (${plansPath}): ${p.encoder.value}, input ${p.inputSize.value} px, decoder ${p.decoderFilters.value.join('-')}, batch ${p.batchSize.value}, lr ${p.lr.value}, ` +
        `${p.epochs.value} epochs, augment ${p.augment.value}, loss ${p.loss.value}, BN recalibration ${p.bnRecalibration.value}; estimate ${plans.plan.estimate.minutes} min`,
    );
    // The cheapest encoder too: the plan's (cross-validated on STS) costs more than a minute's demo can give.
    const overrides = { encoder: ENCODER, encoderWeights: weights, epochs, batchSize: 16, lr: 0.003, decoderFilters: [32, 16, 16, 8, 8], augment: 'light', inputSize: size, seed, workers };
    const values: TrainOptionValues = { contextSlices: 0, lrEncoder: 1e-5, loss: 'dice+bce', patience: 10, bnRecalibration: 512, ...overrides };
    const trainLine = `train --dataset ${paths.dataset} --out ${paths.run} --encoder ${ENCODER} --encoder-weights ${weights} --epochs ${epochs} --batch-size 16 --lr 0.003 --decoder-filters 32-16-16-8-8 --augment light --input-size ${size} --seed ${seed} --backend ${backend} --workers ${workers}`;
    step(trainLine);
    const given = (name: string) => name in overrides;
    const trained = await runTraining(
      {
        out: paths.run,
        dataset: paths.dataset,
        model: { encoder: ENCODER, encoderWeights: weights, decoderFilters: overrides.decoderFilters, inputSize: size, contextSlices: 0 },
        settings: { epochs, batchSize: 16, learningRate: 0.003, encoderLearningRate: 1e-5, loss: 'dice+bce', seed, patience: 10, augment: 'light', batchNormRecalibration: 512 },
        plan: { values, given, usePlan: true },
        workers,
        backend,
        weightsOptions: { env: context.env },
        commandLine: ['medseg', ...trainLine.split(' ')],
      },
      (event) => {
        if (event.type === 'epoch') writeLine(context.stderr, `epoch ${event.epoch}/${event.epochs}: loss ${event.loss.toFixed(4)}, val Dice per patient ${event.valDicePatient.toFixed(3)}`);
        else if (event.type === 'backend') writeLine(context.stderr, `backend: ${event.backend.description}`);
        else if (event.type === 'settings') {
          const names = (kind: string) => Object.entries(event.provenance.sources).filter(([, source]) => source === kind).map(([name]) => name);
          writeLine(context.stdout, `from the plan: ${names('plan').join(', ') || 'none'}; the demo's own (flags): ${names('flag').join(', ') || 'none'}`);
        }
      },
    );
    writeLine(context.stdout, `trained ${trained.state.epoch} epochs; best val Dice per patient ${trained.state.best?.valDicePatient.toFixed(3) ?? 'n/a'}`);
    const predictLine = `predict --model ${paths.run} --input ${paths.dataset} --split test --out ${paths.predictions} --backend ${backend} --workers ${workers}`;
    step(predictLine);
    const predicted = await runPrediction({ models: [paths.run], input: paths.dataset, split: 'test', out: paths.predictions, backend, workers, commandLine: ['medseg', ...predictLine.split(' ')] });
    writeLine(context.stdout, `predicted ${predicted.record.cases.length} series`);
    step(`eval --pred ${paths.predictions} --truth ${paths.dataset} --out ${paths.report}`);
    const evaluation = await runEvaluation({ pred: paths.predictions, truth: paths.dataset });
    await writeReports(evaluation, paths.report);
    const metrics = JSON.parse(await readFile(join(paths.report, 'metrics.json'), 'utf8')) as { cases: { dice: number | null }[] };
    const dices = metrics.cases.map((c) => c.dice).filter((d): d is number => d !== null);
    const meanDice = dices.reduce((a, b) => a + b, 0) / Math.max(1, dices.length);
    writeLine(context.stdout, '');
    writeLine(context.stdout, `demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s (encoder weights: ${weights})`);
    writeLine(context.stdout, `  DICOM study:  ${paths.dicom}`);
    writeLine(context.stdout, `  dataset:      ${paths.dataset}`);
    writeLine(context.stdout, `  model:        ${paths.run}`);
    writeLine(context.stdout, `  predictions:  ${paths.predictions} (NIfTI, DICOM SEG, PNG)`);
    writeLine(context.stdout, `  report:       ${join(paths.report, 'report.html')}`);
    writeLine(context.stdout, `mean Dice on ${dices.length} held-out test patient(s): ${meanDice.toFixed(3)}`);
    return ExitCode.Ok;
}
