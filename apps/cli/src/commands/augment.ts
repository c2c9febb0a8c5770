import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type AugmentConfig, AugmentConfigError, augmentPresets, type AugmentPreset, augmentPreview, validateAugmentConfig, writeFileAtomic, checkOutputFile } from '@medseg/data';
import type { CommandModule } from '../command.js';
import { integer } from '../options.js';
import { ExitCode, writeLine } from '../context.js';

/** A JSON config file (the same shape as the presets), validated with the field at fault named. */
async function readConfig(path: string): Promise<AugmentConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new AugmentConfigError(`cannot read an augmentation config (${(error as Error).message})`, { path, cause: error });
  }
  try {
    return validateAugmentConfig(parsed);
  } catch (error) {
    throw new AugmentConfigError((error as Error).message, { path, cause: error });
  }
}

export const augmentCommand: CommandModule = {
  name: 'augment',
  summary: 'Preview the seeded augmentation of a dataset: a contact sheet of slices and augmented copies, mask outlined',
  configure: (command: Command) =>
    command
      .requiredOption('--dataset <dir>', "dataset folder written by 'medseg ingest'")
      .requiredOption('--preview <png>', 'write the contact sheet here')
      .addOption(new Option('--preset <name>', 'augmentation preset').choices(Object.keys(augmentPresets)).default('default'))
      .option('--config <json>', 'augmentation config file (JSON, the shape of a preset); overrides --preset')
      .option('--seed <n>', 'seed of every random draw', integer(0), 0)
      .option('--rows <n>', 'slices shown, one per row', integer(1), 6)
      .option('--variants <n>', 'augmented copies per slice', integer(1), 5)
      .addOption(new Option('--split <split>', 'cases to draw slices from').choices(['train', 'val', 'test']).default('train'))
      .option('--overwrite', 'replace an existing file at --preview')
      .option('--json', 'machine-readable output'),
  run: async (_args, options, context) => {
    const dataset = resolve(context.cwd, options['dataset'] as string);
    const output = resolve(context.cwd, options['preview'] as string);
    await checkOutputFile(output, { overwrite: options['overwrite'] === true });
    const configPath = options['config'] as string | undefined;
    const augment: AugmentPreset | AugmentConfig = configPath ? await readConfig(resolve(context.cwd, configPath)) : (options['preset'] as AugmentPreset);
    const seed = options['seed'] as number;
    const preview = await augmentPreview(dataset, {
      augment,
      seed,
      rows: options['rows'] as number,
      variants: options['variants'] as number,
      split: options['split'] as 'train' | 'val' | 'test',
    });
    await writeFileAtomic(output, preview.png);
    const source = configPath ? resolve(context.cwd, configPath) : `preset ${String(augment)}`;
    if (options['json']) {
      writeLine(context.stdout, JSON.stringify({ preview: output, augment: source, seed, rows: preview.rows, variants: preview.variants, slices: preview.slices, config: preview.config }, null, 2));
    } else {
      writeLine(context.stdout, `wrote ${output}: ${preview.rows} slices x (original + ${preview.variants} augmented), ${source}, seed ${seed}`);
      for (const s of preview.slices) writeLine(context.stdout, `  ${s.caseId} slice ${s.slice}`);
    }
    return ExitCode.Ok;
  },
};
