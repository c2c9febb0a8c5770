import { Option } from 'commander';
import { type BackendChoice, backendChoices, selectBackend } from '@medseg/models';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';

/**
 * `medseg backend`: starts the backend that `train`/`predict --backend NAME` would start (auto by default) and
 * says which one runs and why each faster one could not, without loading a model.
 */
export const backendCommand: CommandModule = {
  name: 'backend',
  summary: 'Say which compute backend runs here, and why the faster ones cannot',
  configure: (command) =>
    command
      .addOption(new Option('--backend <name>', 'TensorFlow.js backend to start').choices([...backendChoices]).default('auto'))
      .option('--json', 'machine-readable result'),
  run: async (_args, options, context) => {
    const selected = await selectBackend(options['backend'] as BackendChoice);
    if (options['json'] === true) {
      writeLine(context.stdout, JSON.stringify({ name: selected.name, tfjsBackend: selected.tfjsBackend, description: selected.description, skipped: selected.skipped }));
    } else {
      for (const { name, reason } of selected.skipped) writeLine(context.stdout, `skipped ${name}: ${reason.replace(`backend ${name}: `, "")}`);
      writeLine(context.stdout, `backend: ${selected.description}`);
    }
    if (selected.warning !== undefined) writeLine(context.stderr, selected.warning);
    return ExitCode.Ok;
  },
};
