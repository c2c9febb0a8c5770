import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { emptyRules, type EmptyRule, metricsJson, runEvaluation, textSummary, writeReports } from '@medseg/eval';
import { checkOutputFolder } from '@medseg/data';
import type { CommandModule } from '../command.js';
import { integer, nonNegativeNumber } from '../options.js';
import { ExitCode, writeLine } from '../context.js';

function labelList(value: string): number[] {
  const labels = value.split(',').map((v) => Number(v.trim()));
  if (labels.length === 0 || labels.some((n) => !Number.isInteger(n) || n < 1 || n > 65535)) {
    throw new InvalidArgumentError(`expected comma-separated labels in 1..65535, got '${value}'`);
  }
  return [...new Set(labels)].sort((a, b) => a - b);
}

export const evalCommand: CommandModule = {
  name: 'eval',
  summary: 'Evaluate predicted label maps against the truth: metrics.json, metrics.csv and report.html',
  configure: (command: Command) =>
    command
      .requiredOption('--pred <dir>', "prediction folder ('medseg predict' output or NIfTI label maps named by case)")
      .requiredOption('--truth <dir>', "dataset folder ('medseg ingest' output) or a folder of NIfTI label maps, matched by file name")
      .requiredOption('--out <dir>', 'report folder (metrics.json, metrics.csv, report.html)')
      .option('--images <dir>', 'NIfTI images matched by case name, for the report pictures (default: the dataset images)')
      .option('--compare <dir>', 'a second prediction folder: adds the paired comparison (this run minus that one)')
      .addOption(new Option('--empty <rule>', 'metrics when truth and prediction are both empty: nan (excluded, counted) or one').choices([...emptyRules]).default('nan'))
      .option('--tolerance <mm>', 'tolerance of the normalised surface Dice, in mm', nonNegativeNumber, 2)
      .option('--labels <list>', 'labels to evaluate, e.g. 1,2 (default: every non-zero label found)', labelList)
      .option('--seed <n>', 'seed of the bootstrap confidence intervals', integer(0), 0)
      .option('--resamples <n>', 'bootstrap resamples', integer(100), 2000)
      .option('--no-per-slice', 'skip the per-slice (2D) view of 3D cases')
      .option('--partial', "score a prediction folder that 'medseg predict' has not finished (the report says so)")
      .option('--overwrite', 'replace an earlier report in --out')
      .option('--json', 'print metrics.json (and the files written) instead of the summary'),
  run: async (_args, options, context) => {
    const at = (key: string) => (options[key] === undefined ? undefined : resolve(context.cwd, options[key] as string));
    const out = at('out')!;
    // Refused before the evaluation runs, not after it.
    await checkOutputFolder(out, { kind: 'eval', ...(options['overwrite'] === true ? { overwrite: true } : {}) });
    const progress = context.isTTY
      ? (done: number, total: number, id: string) => context.stderr.write(`\r\x1b[Keval ${done}/${total} ${id}${done === total ? '\n' : ''}`)
      : undefined;
    const result = await runEvaluation({
      pred: at('pred')!,
      truth: at('truth')!,
      images: at('images'),
      compare: at('compare'),
      labels: options['labels'] as number[] | undefined,
      empty: options['empty'] as EmptyRule,
      toleranceMm: options['tolerance'] as number,
      seed: options['seed'] as number,
      resamples: options['resamples'] as number,
      perSlice: options['perSlice'] as boolean,
      partial: options['partial'] === true,
      ...(progress ? { onCase: progress } : {}),
    });
    const files = await writeReports(result, out, { overwrite: options['overwrite'] === true });
    const caseCount = result.inputs.cases.length;
    if (options['json']) {
      writeLine(context.stdout, JSON.stringify({ files, elapsed_ms: Math.round(result.elapsedMs), ...(metricsJson(result) as object) }, null, 2));
    } else {
      writeLine(context.stdout, textSummary(result));
      writeLine(context.stdout, `wrote ${files.json}, ${files.csv}, ${files.html} (${(result.elapsedMs / 1000).toFixed(2)} s, ${Math.round(result.elapsedMs / caseCount)} ms per case)`);
    }
    return ExitCode.Ok;
  },
};
