export { run, version } from './main.js';
export type { CliContext } from './context.js';
export { ExitCode } from './context.js';
export type { CommandModule } from './command.js';
