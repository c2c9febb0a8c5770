import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type AugmentPreset,
  augmentPresets,
  createBackgroundAugmenter,
  type CrossValidationFold,
  type Rng,
  normalizedRange,
  type NormalizationSpec,
  readDatasetManifest,
} from '@medseg/data';
import {
  contextSliceChoices,
  datasetCaseSplits,
  type BackendChoice,
  backendChoices,
  backbones,
  buildUnet,
  defaultBackboneName,
  type CheckpointContents,
  checkpointFolder,
  copyUnetWeights,
  defaultDecoderFilters,
  intensityRange,
  loadCheckpoint,
  loadDatasetSlices,
  type LossName,
  lossNames,
  ModelOptionsError,
  selectBackend,
  type TrainEvent,
  type TrainingBatch,
  type TrainSettings,
  trainUnet,
  type Unet,
} from '@medseg/models';
import type { CommandModule } from '../command.js';
import { integer, positive } from '../options.js';
import { ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';
import { createProgress, type Progress } from '../progress.js';
import { startReplicas, workersOptionHelp } from '../replicas.js';

function multipleOf32(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 32 || n % 32 !== 0) throw new InvalidArgumentError(`expected a multiple of 32 (the encoder's stride), got '${value}'`);
  return n;
}

/** `--fold k --folds n` as a fold of the dataset's development patients; undefined without --fold. */
function crossValidationFold(options: Record<string, unknown>, seed: number): CrossValidationFold | undefined {
  if (options['fold'] === undefined) return undefined;
  const fold = options['fold'] as number;
  const folds = options['folds'] as number;
  if (fold >= folds) throw new UsageError(`--fold ${fold}: folds are numbered 0..${folds - 1} (--folds ${folds})`);
  return { fold, folds, seed };
}

function contextSlicesOption(value: string): number {
  const n = Number(value);
  if (!contextSliceChoices.includes(n)) throw new InvalidArgumentError(`expected ${contextSliceChoices.join(' or ')} (the encoder reads one or three channels), got '${value}'`);
  return n;
}

function filterList(value: string): number[] {
  const list = value.split(/[-,]/).map(Number);
  if (list.length !== 5 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`expected 5 positive integers, deepest stage first (e.g. 256-128-64-32-16), got '${value}'`);
  }
  return list;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

export const trainCommand: CommandModule = {
  name: 'train',
  summary: 'Train a U-Net with a frozen ImageNet encoder on a dataset; checkpoints, log and resume in the run folder',
  configure: (command: Command) =>
    command
      .option('--dataset <dir>', "dataset folder written by 'medseg ingest' (train and val splits); with --resume, the run's own by default")
      .requiredOption('--out <dir>', 'run folder: best/ and last/ checkpoints, log.jsonl')
      .addOption(new Option('--encoder <name>', 'encoder backbone (`medseg encoders` lists their size, cost and weights)').choices(Object.keys(backbones)).default(defaultBackboneName))
      .option('--encoder-weights <source>', "'imagenet' (from --weights-dir, else downloaded once into $MEDSEG_CACHE), a local weights file or folder, or 'none' (random)", 'imagenet')
      .option('--weights-dir <dir>', 'folder of local ImageNet weights for several encoders, one folder per encoder as ../shared/weights or the official file names (default: $MEDSEG_WEIGHTS_DIR)')
      .option('--epochs <n>', 'maximum epochs', integer(1), 30)
      .option('--batch-size <n>', 'slices per step', integer(1), 8)
      .option('--lr <rate>', 'Adam learning rate (cosine schedule down to 5%)', positive, 1e-3)
      .addOption(new Option('--loss <name>', 'loss').choices([...lossNames]).default('dice+bce'))
      .addOption(new Option('--augment <preset>', 'augmentation preset').choices(Object.keys(augmentPresets)).default('default'))
      .option('--seed <n>', 'seed of initialisation, shuffling and augmentation', integer(0), 0)
      .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...backendChoices]).default('auto'))
      .option('--input-size <n>', 'slices are resized to this square size (a multiple of 32)', multipleOf32, 128)
      .option('--decoder-filters <list>', 'decoder filters per stage, deepest first', filterList, [...defaultDecoderFilters])
      .option('--context-slices <n>', "2.5D input: neighbouring slices on either side as extra channels (1: the slices below and above fill the encoder's other two colour channels)", contextSlicesOption, 0)
      .option('--fold <k>', "cross-validation: validate on fold k (0-based) of the dataset's non-test patients and train on the other folds, instead of its train/val split", integer(0))
      .option('--folds <n>', 'number of cross-validation folds, with --fold (patients dealt out by a hash of their ID and the dataset seed)', integer(2), 5)
      .option('--patience <n>', 'stop after this many epochs without a better validation Dice', integer(1), 10)
      .option('--bn-recalibration <slices>', "before each validation, set the decoder's BN statistics from this many un-augmented training slices (0: keep the moving averages)", integer(0), 512)
      .option('--unfreeze-from <layer>', 'also fine-tune encoder layers from this one on (e.g. conv_dw_12), BN kept in inference mode')
      .option('--lr-encoder <rate>', 'learning rate of the unfrozen encoder layers', positive, 1e-5)
      .option('--init-from <run>', "start from a run's weights (its best/, else last/): a second phase with --unfreeze-from")
      .option('--resume', 'continue the run in --out from its last checkpoint (after a kill or Ctrl-C)')
      .option('--workers <n>', `${workersOptionHelp} [default: 1, or the run's own with --resume]`, integer(1))
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const out = resolve(context.cwd, options['out'] as string);
    const backend = await selectBackend(options['backend'] as BackendChoice);
    writeLine(context.stderr, `backend: ${backend.description}`);
    if (backend.warning !== undefined) writeLine(context.stderr, backend.warning);

    let unet: Unet;
    let settings: TrainSettings;
    let resume: CheckpointContents | undefined;
    let dataset: string;
    if (options['resume'] === true) {
      resume = await loadCheckpoint(resolve(out, 'last'));
      unet = resume.unet;
      settings = resume.training as TrainSettings;
      const given = options['dataset'] as string | undefined;
      const recorded = settings.dataset?.path;
      if (given === undefined && recorded === undefined) throw new UsageError(`--resume ${out}: the run does not record its dataset; pass --dataset`);
      dataset = given === undefined ? recorded! : resolve(context.cwd, given);
      writeLine(context.stderr, `resuming ${out} at epoch ${(resume.state as { epoch: number }).epoch + 1}`);
    } else {
      if (options['dataset'] === undefined) throw new UsageError("required option '--dataset <dir>' not specified");
      dataset = resolve(context.cwd, options['dataset'] as string);
      const manifest = await readDatasetManifest(dataset);
      const normalization = manifest.cases[0]?.normalization.spec as NormalizationSpec | undefined;
      const fold = crossValidationFold(options, manifest.settings.seed);
      settings = {
        epochs: options['epochs'] as number,
        batchSize: options['batchSize'] as number,
        learningRate: options['lr'] as number,
        encoderLearningRate: options['lrEncoder'] as number,
        loss: options['loss'] as LossName,
        seed: options['seed'] as number,
        patience: options['patience'] as number,
        schedule: 'cosine',
        augment: options['augment'] as string,
        batchNormRecalibration: options['bnRecalibration'] as number,
        dataset: { path: dataset, ...(normalization === undefined ? {} : { normalization }), classes: manifest.classes, ...(fold === undefined ? {} : { fold }) },
      };
      let splits: string[];
      try {
        splits = datasetCaseSplits(manifest, fold);
      } catch (error) {
        // Too many folds for the patients there are: say which dataset.
        throw new ModelOptionsError(error instanceof Error ? error.message : String(error), { path: dataset, cause: error });
      }
      if (splits.every((split) => split !== 'val')) {
        throw new ModelOptionsError('the dataset has no validation cases (ingest with --val or --val-patients, or train with --fold)', { path: dataset });
      }
      const inputSize = options['inputSize'] as number;
      const range = normalization === undefined ? undefined : normalizedRange(normalization);
      const train0 = range === undefined ? await loadDatasetSlices(dataset, 'train', inputSize, { manifest, ...(fold === undefined ? {} : { fold }) }) : undefined;
      unet = await buildUnet({
        backbone: options['encoder'] as string,
        encoderWeights: options['encoderWeights'] as string,
        decoderFilters: options['decoderFilters'] as number[],
        classes: Math.max(1, manifest.classes.length - 1),
        inputSize,
        intensityRange: range ?? intensityRange(train0!.images),
        seed: settings.seed,
        weightsOptions: { env: context.env, ...(options['weightsDir'] === undefined ? {} : { weightsDir: resolve(context.cwd, options['weightsDir'] as string) }) },
        ...(options['unfreezeFrom'] === undefined ? {} : { unfreezeFrom: options['unfreezeFrom'] as string }),
        contextSlices: options['contextSlices'] as number,
      });
      if (options['initFrom'] !== undefined) {
        const from = resolve(context.cwd, options['initFrom'] as string);
        const source = await loadCheckpoint((await checkpointFolder(join(from, 'best'))) !== null ? join(from, 'best') : join(from, 'last'));
        try {
          copyUnetWeights(source.unet, unet);
        } finally {
          source.unet.dispose();
          for (const list of Object.values(source.optimizers)) for (const w of list) w.tensor.dispose();
        }
        writeLine(context.stderr, `initialised from ${from}`);
      }
    }
    const manifest = await readDatasetManifest(dataset);
    const fold = settings.dataset?.fold;
    const sliceOptions = { manifest, contextSlices: unet.config.contextSlices ?? 0, ...(fold === undefined ? {} : { fold }) };
    const train = await loadDatasetSlices(dataset, 'train', unet.config.inputSize, sliceOptions);
    const val = await loadDatasetSlices(dataset, 'val', unet.config.inputSize, sliceOptions);
    const foldNote = fold === undefined ? '' : `, fold ${fold.fold} of ${fold.folds} (validating ${val.caseIds.join(', ')})`;
    writeLine(context.stderr, `data: ${train.count} training slices (${train.caseIds.length} cases), ${val.count} validation slices (${val.caseIds.length} cases)${foldNote}`);
    // Augmentation runs in a worker thread one batch ahead, on the core the wasm backend leaves free; the
    // result is the same bytes as running it inline.
    const augmenter = settings.augment === 'none' ? undefined : createBackgroundAugmenter(settings.augment as AugmentPreset, { seed: settings.seed });
    // A resumed run keeps its number of workers unless told otherwise: with another number its batches split
    // differently, so it would not continue exactly as the uninterrupted run.
    const workers = (options['workers'] as number | undefined) ?? settings.workers ?? 1;
    const replicas = (await startReplicas([unet], workers, backend.name, settings.loss, context))?.[0];
    settings = { ...settings, workers: replicas === undefined ? 1 : workers };

    // Ctrl-C saves last/ at the current batch before the process ends; a second Ctrl-C is not intercepted.
    const controller = new AbortController();
    const onSigint = () => {
      writeLine(context.stderr, 'interrupt: saving the last checkpoint, then stopping (run again with --resume)');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    let bar: Progress | undefined;
    let lastDice: number | undefined;
    const onEvent = (event: TrainEvent) => {
      if (event.type === 'batch') {
        bar ??= createProgress(context, `epoch ${event.epoch + 1}/${event.epochs}`, event.batches);
        bar.update(event.batch, `loss ${event.loss.toFixed(4)}${lastDice === undefined ? '' : ` | val Dice ${f3(lastDice)} (epoch ${event.epoch})`}`);
      } else if (event.type === 'epoch') {
        lastDice = event.valDicePatient;
        bar?.stop();
        bar = undefined;
        writeLine(
          context.stderr,
          `epoch ${event.epoch}/${event.epochs}: loss ${event.loss.toFixed(4)}, val Dice per slice ${f3(event.valDiceSlice)}, ` +
            `per patient ${f3(event.valDicePatient)}${event.improved ? ' (best)' : ''}, lr ${event.learningRate.toExponential(2)}, ${event.seconds.toFixed(0)} s`,
        );
      } else {
        bar?.stop();
        bar = undefined;
      }
    };
    let result;
    try {
      result = await trainUnet({
        unet,
        train,
        val,
        outDir: out,
        settings,
        ...(augmenter === undefined ? {} : { augment: (batch: TrainingBatch, rng: Rng) => augmenter.apply(batch, rng) }),
        signal: controller.signal,
        onEvent,
        ...(resume === undefined ? {} : { resume }),
        ...(replicas === undefined ? {} : { replicas }),
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
      bar?.stop();
      await augmenter?.close();
      await replicas?.close();
    }
    const { state, interrupted } = result;
    const summary = {
      run: out,
      backend: backend.name,
      interrupted,
      stopped: state.stopped,
      epochs: state.epoch,
      seconds: Math.round(state.elapsedSeconds),
      best: state.best,
      last: state.history.at(-1) ?? null,
      config: unet.config,
    };
    unet.dispose();
    if (options['json'] === true) {
      writeLine(context.stdout, JSON.stringify(summary, null, 2));
    } else if (interrupted) {
      writeLine(context.stdout, `interrupted at epoch ${state.epoch + 1}, batch ${state.batch}; saved ${out}/last (continue with --resume)`);
    } else {
      writeLine(
        context.stdout,
        `trained ${state.epoch} epochs in ${summary.seconds} s (${state.stopped}); best val Dice per patient ${f3(state.best?.valDicePatient ?? Number.NaN)} ` +
          `at epoch ${state.best?.epoch ?? '-'}; checkpoints in ${out}/best and ${out}/last`,
      );
    }
    return interrupted ? ExitCode.Failure : ExitCode.Ok;
  },
};
