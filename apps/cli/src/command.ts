import type { Command } from 'commander';
import type { CliContext, ExitCode } from './context.js';

/**
 * One `medseg` subcommand: `configure` declares its arguments and options on a commander `Command`, and
 * `run` does the work through a library call and reports, returning the exit code.
 */
export interface CommandModule {
  readonly name: string;
  readonly summary: string;
  configure(command: Command): Command;
  run(args: readonly string[], options: Record<string, unknown>, context: CliContext): Promise<ExitCode>;
}
