import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import type { CommandModule } from './command.js';
import { type CliContext, ExitCode, writeLine } from './context.js';
import { UsageError, formatError } from './errors.js';
import { integer } from './options.js';
import { DEFAULT_MAX_INFLATED_BYTES, DEFAULT_MAX_VOXELS, medsegVersion, setResourceLimits } from '@medseg/data';

export const version = medsegVersion;

function maxVoxelsFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_VOXELS;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`MEDSEG_MAX_VOXELS must be a positive integer, got '${value}'`);
  return n;
}

/**
 * Parses argv, runs one command and returns its exit code: 0 ok, 1 failure, 2 usage. Never calls
 * `process.exit`, so tests can call it in-process.
 */
export async function run(argv: readonly string[], context: CliContext, modules: readonly CommandModule[] = commands): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Ok;
  const program = new Command('medseg')
    .description('DICOM to a fine-tuned tumour segmenter and an evaluation report.')
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .option('--max-voxels <n>', `refuse any image, frame stack or resampled grid larger than this before allocating it (default ${DEFAULT_MAX_VOXELS}, or MEDSEG_MAX_VOXELS)`, integer(1));

  for (const module of modules) {
    const command = module.configure(program.command(module.name).summary(module.summary).description(module.summary));
    command.exitOverride().action(async (...params: unknown[]) => {
      // commander passes the positional arguments, then the options object, then the command itself.
      const self = params[params.length - 1] as Command;
      const positional = self.args;
      const maxVoxels = (program.opts()['maxVoxels'] as number | undefined) ?? maxVoxelsFromEnv(context.env['MEDSEG_MAX_VOXELS']);
      const previous = setResourceLimits({ maxVoxels, maxInflatedBytes: maxVoxels * (DEFAULT_MAX_INFLATED_BYTES / DEFAULT_MAX_VOXELS) });
      try {
        exitCode = await module.run(positional, self.opts(), { ...context, argv: ['medseg', ...argv], optionSource: (name) => self.getOptionValueSource(name) });
      } finally {
        setResourceLimits(previous);
      }
    });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return ExitCode.Ok;
      }
      return ExitCode.Usage;
    }
    if (error instanceof UsageError) {
      writeLine(context.stderr, `medseg: ${error.message}`);
      return ExitCode.Usage;
    }
    writeLine(context.stderr, formatError(error, context.env['MEDSEG_DEBUG'] === '1'));
    return ExitCode.Failure;
  }
}
