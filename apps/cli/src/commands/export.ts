import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { exportWebSite } from '@medseg/web';
import type { CommandModule } from '../command.js';
import { fraction } from '../options.js';
import { ExitCode, writeLine } from '../context.js';
import { serveUntilInterrupted } from './serve.js';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

export const exportCommand: CommandModule = {
  name: 'export',
  summary: 'Export a trained model for use outside medseg: a static web page that segments DICOM in the browser',
  configure: (command: Command) =>
    command
      .requiredOption('--model <dirs...>', 'training run folder (uses best/, else last/) or a checkpoint folder; several make an ensemble')
      .addOption(new Option('--format <format>', 'what to write').choices(['web']).makeOptionMandatory())
      .requiredOption('--out <dir>', 'output folder (index.html, medseg-web.js, medseg-model.json, model/)')
      .option('--threshold <p>', 'foreground probability threshold (one class)', fraction, 0.5)
      .option('--modality <name>', "series modality the page accepts (default: the training dataset's)")
      .option('--overwrite', 'replace a non-empty output folder')
      .option('--serve', 'then serve the site on http://127.0.0.1 until interrupted')
      .option('--port <n>', 'port for --serve (0: a free one)', (v) => Number.parseInt(v, 10), 8080)
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const result = await exportWebSite({
      models: (options['model'] as string[]).map((m) => resolve(context.cwd, m)),
      out: resolve(context.cwd, options['out'] as string),
      threshold: options['threshold'] as number,
      ...(options['modality'] === undefined ? {} : { modality: options['modality'] as string }),
      overwrite: options['overwrite'] === true,
    });
    if (options['json'] === true) {
      const { manifest, ...summary } = result;
      writeLine(context.stdout, JSON.stringify({ ...summary, classes: manifest.classes, modality: manifest.preprocessing.modality ?? null }, null, 2));
    } else {
      writeLine(context.stdout, `wrote ${result.out}: ${result.files.length} files, ${mib(result.totalBytes)} (script ${mib(result.bundleBytes)}, model ${mib(result.modelBytes)})`);
      writeLine(context.stdout, `  accepts ${result.manifest.preprocessing.modality ?? 'any'} series; classes ${result.manifest.classes.slice(1).join(', ')}; open index.html from any static web server, or: medseg serve ${result.out}`);
    }
    if (options['serve'] === true) return serveUntilInterrupted(result.out, options['port'] as number, context);
    return ExitCode.Ok;
  },
};
