import { resolve } from 'node:path';
import { writePhantomStudy } from '@medseg/data';
import type { Command } from 'commander';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';

const positiveInteger = (name: string, value: unknown): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`${name} must be a positive integer, got '${String(value)}'`);
  return number;
};

export const phantomCommand: CommandModule = {
  name: 'phantom',
  summary: 'Write a synthetic thigh-MR study with lesions as DICOM (MR series + RTSTRUCT ground truth)',
  configure: (command: Command) =>
    command
      .requiredOption('--out <dir>', 'folder for PHANTOM_nnn/image/*.dcm and PHANTOM_nnn/RS.dcm')
      .option('--patients <n>', 'number of patients', '10')
      .option('--seed <n>', 'seed: the same seed writes the same bytes', '1')
      .option('--size <n>', 'rows and columns of each slice', '128')
      .option('--slices <n>', 'slices per series', '20')
      .option('--json', 'list what was written as JSON'),
  async run(_args, options, context) {
    const size = positiveInteger('--size', options['size']);
    const patients = await writePhantomStudy(resolve(context.cwd, String(options['out'])), {
      seed: Number(options['seed']),
      patients: positiveInteger('--patients', options['patients']),
      columns: size,
      rows: size,
      slices: positiveInteger('--slices', options['slices']),
    });
    if (options['json']) writeLine(context.stdout, JSON.stringify(patients, null, 2));
    else writeLine(context.stdout, `phantom: ${patients.length} patients in ${String(options['out'])} (ROI 'GTV_lesion' in each RS.dcm)`);
    return ExitCode.Ok;
  },
};
