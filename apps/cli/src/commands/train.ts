import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { augmentPresets, type EnsurePlansResult } from '@medseg/data';
import {
  backbones,
  type BackendChoice,
  backendChoices,
  contextSliceChoices,
  defaultBackboneName,
  defaultDecoderFilters,
  describePostprocessing,
  lossNames,
  resolveTrainSettings,
  type RunSettingsProvenance,
  type RunCrossValidationEvent,
  type RunCrossValidationOptions,
  runCrossValidation,
  type RunTrainingEvent,
  type RunTrainingResult,
  runTraining,
  trainingLayout,
  trainingStepMeasurer,
  type TrainOptionValues,
} from '@medseg/models';
import type { CommandModule } from '../command.js';
import { integer, positive } from '../options.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';
import { createProgress, type Progress } from '../progress.js';
import { workersOptionHelp } from '../replicas.js';
import { duration } from './plan.js';

function multipleOf32(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 32 || n % 32 !== 0) throw new InvalidArgumentError(`expected a multiple of 32 (the encoder's stride), got '${value}'`);
  return n;
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

/** Says on stderr which plan the run follows (made now or read), what came from it and from flags, and what it cannot apply. */
function reportSettings(plans: EnsurePlansResult | undefined, provenance: RunSettingsProvenance, context: CliContext): void {
  if (plans === undefined) return;
  const replanned = plans.replannedBecause === 'budget' ? 'plans.json was made for another --time-budget: planned the dataset again, wrote' : 'plans.json was made from an older manifest: planned the dataset again, wrote';
  const made = { existing: 'using the plan', planned: 'no plans.json beside the manifest: planned the dataset first, wrote', replanned }[plans.action];
  const e = plans.record.plan.estimate;
  const m = e.measurement;
  const step = m === null || m === undefined ? `${e.secondsPerStep} s/step ${e.secondsPerStepSource}` : `${e.secondsPerStep} s/step measured over ${m.steps} steps in ${m.wallSeconds.toFixed(1)} s`;
  writeLine(context.stderr, `plan: ${made} ${plans.path} (estimate ${e.minutes} min for ${e.models} model(s) at ${step}, budget ${e.budgetMinutes} min${e.withinBudget ? '' : ' EXCEEDED'}; 'medseg plan' prints its reasons)`);
  const { sources } = provenance;
  const from = (kind: string) => Object.keys(sources).filter((name) => sources[name] === kind);
  writeLine(context.stderr, `plan: from the plan: ${from('plan').join(', ') || 'none'}; from flags: ${from('flag').join(', ') || 'none'}`);
  for (const check of provenance.ingestChecks) if (check.warn) writeLine(context.stderr, `warning: ${check.message}`);
  for (const note of provenance.notes) writeLine(context.stderr, `note: ${note}`);
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

function runSummary(result: RunTrainingResult, out: string) {
  const { state } = result;
  return {
    run: out,
    backend: result.backend.name,
    interrupted: result.interrupted,
    stopped: state.stopped,
    epochs: state.epoch,
    seconds: Math.round(state.elapsedSeconds),
    best: state.best,
    last: state.history.at(-1) ?? null,
    config: result.config,
    postprocessing: result.postprocessing?.chosen ?? null,
  };
}

function reportRun(result: RunTrainingResult, out: string, json: boolean, context: CliContext): void {
  const { state, interrupted } = result;
  const summary = runSummary(result, out);
  if (json) {
    writeLine(context.stdout, JSON.stringify(summary, null, 2));
  } else if (interrupted && state.stopped !== null) {
    writeLine(context.stdout, `training finished (${state.stopped}); interrupted while choosing the post-processing on validation: run again with --resume to choose it`);
  } else if (interrupted) {
    writeLine(context.stdout, `interrupted at epoch ${state.epoch + 1}, batch ${state.batch}; saved ${out}/last (continue with --resume)`);
  } else {
    writeLine(
      context.stdout,
      `trained ${state.epoch} epochs in ${summary.seconds} s (${state.stopped}); best val Dice per patient ${f3(state.best?.valDicePatient ?? Number.NaN)} ` +
        `at epoch ${state.best?.epoch ?? '-'}; checkpoints in ${out}/best and ${out}/last`,
    );
    if (result.postprocessing !== undefined) writeLine(context.stdout, `post-processing chosen on validation (predict applies it): ${describePostprocessing(result.postprocessing.chosen)}`);
  }
}

/** `train --folds N` (or --resume of such a run): every fold, then the pooled post-processing. */
async function crossValidate(training: Omit<RunCrossValidationOptions, 'folds'>, folds: number, json: boolean, context: CliContext, onEvent: (event: RunCrossValidationEvent) => void): Promise<ExitCode> {
  const result = await runCrossValidation({ ...training, folds }, onEvent);
  const { record } = result;
  const perFold = result.folds.map((r, k) => runSummary(r, join(result.out, record.members[k]!)));
  if (json) {
    writeLine(context.stdout, JSON.stringify({ run: result.out, interrupted: result.interrupted, folds: record.folds, status: record.status, postprocessing: record.postprocessing?.chosen ?? null, members: perFold }, null, 2));
  } else if (result.interrupted) {
    const k = result.folds.length - 1;
    writeLine(context.stdout, `interrupted in fold ${k + 1} of ${record.folds} (${join(result.out, record.members[k]!)}); continue the cross-validation with --resume --out ${result.out}`);
  } else {
    for (const s of perFold) writeLine(context.stdout, `${s.run}: ${s.epochs} epochs (${s.stopped}), best val Dice per patient ${f3(s.best?.valDicePatient ?? Number.NaN)} at epoch ${s.best?.epoch ?? '-'}`);
    const pooled = record.postprocessing!;
    writeLine(context.stdout, `post-processing chosen on the ${pooled.patients} out-of-fold patients pooled (predict applies it): ${describePostprocessing(pooled.chosen)}; ${pooled.reason}`);
    writeLine(context.stdout, `'medseg predict --model ${result.out}' predicts with the ensemble of the ${record.folds} folds`);
  }
  return result.interrupted ? ExitCode.Failure : ExitCode.Ok;
}

export const trainCommand: CommandModule = {
  name: 'train',
  summary: 'Train a U-Net with a frozen ImageNet encoder on a dataset; checkpoints, log and resume in the run folder',
  configure: (command: Command) =>
    command
      .option('--dataset <dir>', "dataset folder written by 'medseg ingest' (train and val splits); with --resume, the run's own by default")
      .requiredOption('--out <dir>', 'run folder: run.json, best/ and last/ checkpoints, log.jsonl')
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
      .option('--folds <n>', "cross-validation over the dataset's non-test patients (dealt out by a hash of their ID and the dataset seed): with --fold, the number of folds (default 5); alone, train every fold into --out/fold-k, each stopping on its own validation fold, choose the post-processing on all of them pooled, and 'predict --model RUN' is their ensemble", integer(2))
      .option('--patience <n>', 'stop after this many epochs without a better validation Dice', integer(1), 10)
      .option('--bn-recalibration <slices>', "before each validation, set the decoder's BN statistics from this many un-augmented training slices (0: keep the moving averages)", integer(0), 512)
      .option('--unfreeze-from <layer>', 'also fine-tune encoder layers from this one on (e.g. conv_dw_12), BN kept in inference mode')
      .option('--lr-encoder <rate>', 'learning rate of the unfrozen encoder layers', positive, 1e-5)
      .option('--init-from <run>', "start from a run's weights (its best/, else last/): a second phase with --unfreeze-from")
      .option('--time-budget <duration>', "wall-clock budget for training when train plans the dataset (30m, 1h, 90s); a plans.json made for another budget is planned again [default: 60m]", duration)
      .option('--no-measure', 'when train plans: use the estimated step time instead of timing a few training steps of the planned network (a few seconds)')
      .option('--no-plan', "train on the built-in defaults below instead of the dataset's plans.json (by default the plan is used, made first if there is none or it is out of date; every flag given overrides its setting)")
      .option('--resume', 'continue the run in --out from its last checkpoint (after a kill or Ctrl-C)')
      .option('--overwrite', 'replace a run already in --out (the new one is trained beside it and swapped in)')
      .option('--workers <n>', `${workersOptionHelp} [default: the plan's, 1 with --no-plan, or the run's own with --resume]`, integer(1))
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const resume = options['resume'] === true;
    if (!resume && options['dataset'] === undefined) throw new UsageError("required option '--dataset <dir>' not specified");
    if (resume && options['overwrite'] === true) throw new UsageError('--resume and --overwrite exclude each other');
    const folds = options['folds'] as number | undefined;
    if (options['fold'] !== undefined && (options['fold'] as number) >= (folds ?? 5)) {
      throw new UsageError(`--fold ${options['fold'] as number}: folds are numbered 0..${(folds ?? 5) - 1} (--folds ${folds ?? 5})`);
    }
    const at = (key: string) => (options[key] === undefined ? undefined : resolve(context.cwd, options[key] as string));
    const out = at('out')!;
    let current = out;

    // Ctrl-C saves last/ at the current batch before the process ends; a second Ctrl-C is not intercepted.
    const controller = new AbortController();
    const onSigint = () => {
      writeLine(context.stderr, 'interrupt: saving the last checkpoint, then stopping (run again with --resume)');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    let bar: Progress | undefined;
    let lastDice: number | undefined;
    // The time left at this run's own pace (the plan's estimate is of an idle machine): at most, since early
    // stopping can end the run sooner.
    const paces: number[] = [];
    const remaining = (epoch: number, epochs: number, seconds: number) => {
      paces.push(seconds);
      const left = epochs - epoch;
      return left <= 0 ? '' : `; at most ${Math.ceil((left * paces.reduce((a, b) => a + b, 0)) / paces.length / 60)} min left at this pace`;
    };
    const onEvent = (event: RunTrainingEvent) => {
      if (event.type === 'backend') {
        writeLine(context.stderr, `backend: ${event.backend.description}`);
        if (event.backend.warning !== undefined) writeLine(context.stderr, event.backend.warning);
      } else if (event.type === 'resume') writeLine(context.stderr, `resuming ${current} at epoch ${event.epoch + 1}`);
      else if (event.type === 'init-from') writeLine(context.stderr, `initialised from ${event.run}`);
      else if (event.type === 'note') writeLine(context.stderr, event.message);
      else if (event.type === 'settings') reportSettings(event.plans, event.provenance, context);
      else if (event.type === 'data') {
        const foldNote = event.fold === undefined ? '' : `, fold ${event.fold.fold} of ${event.fold.folds} (validating ${event.valCases.join(', ')})`;
        writeLine(context.stderr, `data: ${event.trainSlices} training slices (${event.trainCases} cases), ${event.valSlices} validation slices (${event.valCases.length} cases)${foldNote}`);
      } else if (event.type === 'batch') {
        bar ??= createProgress(context, `epoch ${event.epoch + 1}/${event.epochs}`, event.batches);
        bar.update(event.batch, `loss ${event.loss.toFixed(4)}${lastDice === undefined ? '' : ` | val Dice ${f3(lastDice)} (epoch ${event.epoch})`}`);
      } else if (event.type === 'epoch') {
        lastDice = event.valDicePatient;
        bar?.stop();
        bar = undefined;
        writeLine(
          context.stderr,
          `epoch ${event.epoch}/${event.epochs}: loss ${event.loss.toFixed(4)}, val Dice per slice ${f3(event.valDiceSlice)}, ` +
            `per patient ${f3(event.valDicePatient)}${event.improved ? ' (best)' : ''}, lr ${event.learningRate.toExponential(2)}, ${event.seconds.toFixed(0)} s` +
            remaining(event.epoch, event.epochs, event.seconds),
        );
      } else if (event.type === 'postprocessing-case') {
        bar ??= createProgress(context, 'post-processing on validation', event.total);
        bar.update(event.done, event.caseId);
      } else if (event.type === 'postprocessing') {
        bar?.stop();
        bar = undefined;
        const { chosen, table } = event.postprocessing;
        writeLine(context.stderr, `post-processing: ${describePostprocessing(chosen)}: ${event.postprocessing.reason}`);
        writeLine(context.stderr, `  mean per-patient val Dice: ${table.map((r) => `${r.threshold}${r.largestComponent ? '+lcc' : ''} ${f3(r.meanDice ?? Number.NaN)}`).join(', ')}`);
      } else {
        bar?.stop();
        bar = undefined;
      }
    };
    // A flag typed on the command line beats the plan; commander's defaults do not.
    const given = (name: string) => {
      if (context.optionSource === undefined) return options[name] !== undefined;
      const source = context.optionSource(name);
      return source === 'cli' || source === 'env';
    };
    const values = options as unknown as TrainOptionValues;
    const unplanned = resolveTrainSettings(values, given, undefined);
    const training = {
      out,
      dataset: at('dataset'),
      resume,
      overwrite: options['overwrite'] === true,
      initFrom: at('initFrom'),
      // Without a plan (--no-plan, or --resume, where the run's own settings are used) these are the settings.
      model: unplanned.model,
      settings: unplanned.settings,
      // A new run follows the dataset's plan (made first if missing or stale) unless --no-plan.
      // Planning (no plans.json, an out-of-date one, or one made for another --time-budget) times a few steps of
      // the planned network on the backend selected for the run, unless --no-measure.
      plan: {
        values,
        given,
        usePlan: options['plan'] !== false,
        planOptions: {
          cores: availableParallelism(),
          ...(options['timeBudget'] === undefined ? {} : { timeBudgetSeconds: options['timeBudget'] as number }),
          ...(options['measure'] === false ? {} : { measureStep: trainingStepMeasurer() }),
        },
      },
      workers: options['workers'] as number | undefined,
      backend: options['backend'] as BackendChoice,
      weightsOptions: { env: context.env, ...(options['weightsDir'] === undefined ? {} : { weightsDir: resolve(context.cwd, options['weightsDir'] as string) }) },
      commandLine: context.argv,
      signal: controller.signal,
    };
    const fold = options['fold'] === undefined ? undefined : { fold: options['fold'] as number, folds: folds ?? 5 };
    try {
      // --folds alone trains the whole cross-validation, and so does a plan that validates by folds; --resume
      // continues whichever kind of run --out holds.
      const layout = await trainingLayout({ ...training, fold, folds });
      if (layout.kind === 'folds') {
        writeLine(context.stderr, `cross-validation: ${layout.folds} folds (${layout.source === 'plan' ? `the plan: ${layout.reason}` : layout.reason})`);
        const estimate = layout.plan?.plans?.record.plan.estimate;
        if (estimate !== undefined && estimate.models !== layout.folds) {
          writeLine(context.stderr, `note: the plan's estimate (${estimate.minutes} min) is for ${estimate.models} model(s); ${layout.folds} fold models take about ${Math.round((estimate.minutes / estimate.models) * layout.folds)} min`);
        }
      }
      const planned = { ...training, ...(layout.plan === undefined ? {} : { plan: layout.plan }) };
      if (layout.kind === 'folds') return await crossValidate(planned, layout.folds, options['json'] === true, context, (event) => {
        if (event.type === 'fold-run') {
          current = event.out;
          writeLine(context.stderr, `fold ${event.fold + 1} of ${event.folds}: ${event.action === 'train' ? 'training' : 'continuing'} ${event.out}`);
        } else if (event.type !== 'cross-validation') onEvent(event);
      });
      const result = await runTraining({ ...planned, fold }, onEvent);
      reportRun(result, out, options['json'] === true, context);
      return result.interrupted ? ExitCode.Failure : ExitCode.Ok;
    } finally {
      process.removeListener('SIGINT', onSigint);
      bar?.stop();
    }
  },
};
