import { resolve } from 'node:path';
import type { Command } from 'commander';
import { serveStaticSite } from '@medseg/web';
import type { CommandModule } from '../command.js';
import { type CliContext, ExitCode, type ExitCode as ExitCodeType, writeLine } from '../context.js';

/** Serves `dir` on 127.0.0.1 until SIGINT or SIGTERM. */
export async function serveUntilInterrupted(dir: string, port: number, context: CliContext): Promise<ExitCodeType> {
  const site = await serveStaticSite(dir, { port });
  writeLine(context.stdout, `serving ${dir} at ${site.url} (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await site.close();
  return ExitCode.Ok;
}

export const serveCommand: CommandModule = {
  name: 'serve',
  summary: 'Serve an exported web site (medseg export --format web) on http://127.0.0.1 for a quick look',
  configure: (command: Command) => command.argument('<dir>', 'the exported site').option('--port <n>', 'port (0: a free one)', (v) => Number.parseInt(v, 10), 8080),
  run: async (args, options, context) => serveUntilInterrupted(resolve(context.cwd, args[0]!), options['port'] as number, context),
};
