import { resolve } from 'node:path';
import { writePhantomStudy } from '@medseg/data';
import type { Command } from 'commander';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';
import { integer } from '../options.js';

export const phantomCommand: CommandModule = {
  name: 'phantom',
  summary: 'Write a synthetic thigh-MR study with lesions as DICOM (MR series + RTSTRUCT ground truth)',
  configure: (command: Command) =>
    command
      .requiredOption('--out <dir>', 'folder for PHANTOM_nnn/image/*.dcm and PHANTOM_nnn/RS.dcm')
      .option('--overwrite', 'replace a phantom study already in --out')
      .option('--patients <n>', 'number of patients', integer(1), 10)
      .option('--seed <n>', 'seed: the same seed writes the same bytes', integer(0), 1)
      .option('--size <n>', 'rows and columns of each slice', integer(16), 128)
      .option('--slices <n>', 'slices per series', integer(1), 20)
      .option('--json', 'list what was written as JSON'),
  async run(_args, options, context) {
    const size = options['size'] as number;
    const patients = await writePhantomStudy(resolve(context.cwd, String(options['out'])), {
      overwrite: options['overwrite'] === true,
      seed: options['seed'] as number,
      patients: options['patients'] as number,
      columns: size,
      rows: size,
      slices: options['slices'] as number,
    });
    if (options['json']) writeLine(context.stdout, JSON.stringify(patients, null, 2));
    else writeLine(context.stdout, `phantom: ${patients.length} patients in ${String(options['out'])} (ROI 'GTV_lesion' in each RS.dcm)`);
    return ExitCode.Ok;
  },
};
