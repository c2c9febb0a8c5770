import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { type Choice, planDataset } from '@medseg/data';
import { type BackendChoice, backendChoices, selectBackend, trainingStepMeasurer } from '@medseg/models';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CommandModule } from '../command.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { integer, positive } from '../options.js';

/** `30m`, `1h`, `90s`, `1.5h`; a bare number is minutes. */
export function duration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|min|h)?$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (match[2] === 's' ? 1 : match[2] === 'h' ? 3600 : 60) : NaN;
  if (!(seconds > 0)) throw new InvalidArgumentError(`expected a duration such as 30m, 1h or 90s, got '${value}'`);
  return seconds;
}

function multipleOf32(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 64 || n % 32 !== 0) throw new InvalidArgumentError(`expected a multiple of 32 >= 64, got '${value}'`);
  return n;
}

const show = (value: unknown): string => (Array.isArray(value) ? value.join('-') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

export const planCommand: CommandModule = {
  name: 'plan',
  summary: 'Fingerprint a dataset and write plans.json beside its manifest: each training choice with its reason',
  configure: (command: Command) =>
    command
      .requiredOption('--dataset <dir>', "dataset folder written by 'medseg ingest'")
      .option('--time-budget <duration>', 'wall-clock budget for training (30m, 1h, 90s); epochs are planned into 90 % of it, the rest a margin', duration, 3600)
      .option('--seconds-per-step <s>', 'seconds per training step of the planned network, as you measured it (default: timed now, a warm-up and 3 steps)', positive)
      .option('--no-measure', "plan with the step time estimated from the README's benchmark figures and the encoder's FLOPs instead of timing steps")
      .addOption(new Option('--backend <name>', 'TensorFlow.js backend to time the steps on (the one train will use)').choices([...backendChoices]).default('auto'))
      .option('--cores <n>', 'CPU cores for training [default: this machine\'s]', integer(1))
      .option('--max-input-size <n>', 'largest input size to plan (a multiple of 32)', multipleOf32, 256)
      .option('--json', 'print plans.json to stdout'),
  async run(_args, options, context: CliContext) {
    const dataset = resolve(context.cwd, String(options['dataset']));
    // Timing steps needs a backend; a given --seconds-per-step or --no-measure needs none.
    const measure = options['measure'] !== false && options['secondsPerStep'] === undefined;
    if (measure) {
      const backend = await selectBackend(options['backend'] as BackendChoice);
      writeLine(context.stderr, `backend: ${backend.description} (timing training steps of the planned network)`);
    }
    const { record, path } = await planDataset(dataset, {
      timeBudgetSeconds: options['timeBudget'] as number,
      ...(options['secondsPerStep'] === undefined ? {} : { secondsPerStep: options['secondsPerStep'] as number }),
      ...(measure ? { measureStep: trainingStepMeasurer() } : {}),
      cores: (options['cores'] as number | undefined) ?? availableParallelism(),
      maxInputSize: options['maxInputSize'] as number,
    });
    if (options['json']) {
      writeLine(context.stdout, JSON.stringify(record, null, 2));
      return ExitCode.Ok;
    }
    const { fingerprint: fp, plan } = record;
    writeLine(context.stdout, `plan: ${path}`);
    writeLine(context.stdout, `dataset: ${fp.cases} cases, ${fp.patients} patients (train ${fp.patientsBySplit.train}, val ${fp.patientsBySplit.val}, test ${fp.patientsBySplit.test}), ${fp.modality}, intensities ${fp.intensity.source}`);
    writeLine(context.stdout, `  in-plane spacing ${fp.spacing.x.median.toFixed(3)} mm (${fp.spacing.x.min.toFixed(3)}-${fp.spacing.x.max.toFixed(3)}), size ${fp.size.columns.median} x ${fp.size.rows.median} x ${fp.size.slices.median} (median), foreground ${fp.foreground.volumeMl.median.toFixed(1)} ml on ${fp.foreground.slices.median} slices (median)`);
    for (const [section, choices] of Object.entries({ ingest: plan.ingest, train: plan.train, predict: plan.predict })) {
      for (const [name, choice] of Object.entries(choices)) {
        if (choice === null || typeof choice === 'string') continue;
        writeLine(context.stdout, `${section}.${name}: ${show((choice as Choice<unknown>).value)}  (${(choice as Choice<unknown>).reason})`);
      }
    }
    const e = plan.estimate;
    const m = e.measurement;
    const source = m === null ? e.secondsPerStepSource : `measured over ${m.steps} steps of decoder ${m.network.decoderFilters.join('-')} with ${m.network.workers} worker(s) in ${m.wallSeconds.toFixed(1)} s: ${m.note}`;
    writeLine(context.stdout, `estimate: ${e.minutes} min for ${e.models} model(s) of ${plan.train.epochs.value} epochs x ${e.stepsPerEpoch} steps at ${e.secondsPerStep} s/step (${source}); budget ${e.budgetMinutes} min${e.withinBudget ? '' : ' EXCEEDED'}`);
    if (plan.ingest.reingest !== null) writeLine(context.stdout, `note: to follow the plan, ${plan.ingest.reingest}`);
    return ExitCode.Ok;
  },
};
