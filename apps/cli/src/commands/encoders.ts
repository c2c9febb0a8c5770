import { resolve } from 'node:path';
import type { Command } from 'commander';
import { encoderCatalogue } from '@medseg/models';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';

const millions = (n: number): string => `${(n / 1e6).toFixed(2)} M`;
const giga = (n: number): string => `${(n / 1e9).toFixed(3)} G`;

export const encodersCommand: CommandModule = {
  name: 'encoders',
  summary: 'List the encoder backbones: parameters, FLOPs at 128x128, weights source, and whether the weights are cached',
  configure: (command: Command) =>
    command
      .option('--weights-dir <dir>', 'folder of local ImageNet weights to look in (default: $MEDSEG_WEIGHTS_DIR)')
      .option('--json', 'machine-readable output'),
  run: async (_args, options, context) => {
    const weightsDir = options['weightsDir'] as string | undefined;
    const rows = await encoderCatalogue({ env: context.env, ...(weightsDir === undefined ? {} : { weightsDir: resolve(context.cwd, weightsDir) }) });
    if (options['json']) {
      writeLine(context.stdout, JSON.stringify(rows, null, 2));
      return ExitCode.Ok;
    }
    writeLine(context.stdout, '| encoder | parameters | FLOPs at 128x128 | preprocessing | weights | hash | ImageNet weights at hand |');
    writeLine(context.stdout, '| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) {
      const local = row.local === null ? 'no (downloaded on first use)' : `${row.local.where === 'cache' ? 'cached' : 'weights dir'}: ${row.local.path}`;
      writeLine(
        context.stdout,
        `| ${row.name} | ${millions(row.parameters)} | ${giga(row.flops128)} | ${row.preprocessing} | ${row.weights.url} | ${row.weights.md5 === null ? 'none published' : `md5 ${row.weights.md5}`} | ${local} |`,
      );
    }
    return ExitCode.Ok;
  },
};
