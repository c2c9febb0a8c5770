import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { type Choice, planDataset } from '@medseg/data';
import { type Command, InvalidArgumentError } from 'commander';
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
      .option('--time-budget <duration>', 'wall-clock budget for training (30m, 1h, 90s)', duration, 3600)
      .option('--seconds-per-step <s>', "measured seconds per training step of the planned network (default: estimated from the README's benchmark figures)", positive)
      .option('--cores <n>', 'CPU cores for training [default: this machine\'s]', integer(1))
      .option('--max-input-size <n>', 'largest input size to plan (a multiple of 32)', multipleOf32, 256)
      .option('--json', 'print plans.json to stdout'),
  async run(_args, options, context: CliContext) {
    const dataset = resolve(context.cwd, String(options['dataset']));
    const { record, path } = await planDataset(dataset, {
      timeBudgetSeconds: options['timeBudget'] as number,
      ...(options['secondsPerStep'] === undefined ? {} : { secondsPerStep: options['secondsPerStep'] as number }),
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
    writeLine(context.stdout, `estimate: ${e.minutes} min for ${e.models} model(s) of ${plan.train.epochs.value} epochs x ${e.stepsPerEpoch} steps at ${e.secondsPerStep} s/step (${e.secondsPerStepSource}); budget ${e.budgetMinutes} min${e.withinBudget ? '' : ' EXCEEDED'}`);
    if (plan.ingest.reingest !== null) writeLine(context.stdout, `note: to follow the plan, ${plan.ingest.reingest}`);
    return ExitCode.Ok;
  },
};
