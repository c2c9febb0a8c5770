import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { describePostprocessing, exportOnnx, type MedsegModel, medsegModelLabels, type PostprocessingFlags, selectBackend } from '@medseg/models';
import { exportWebSite } from '@medseg/web';
import type { CommandModule } from '../command.js';
import { fraction } from '../options.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { serveUntilInterrupted } from './serve.js';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

/** The post-processing flags given (each overrides the run's choice on validation). */
function postprocessingFlags(options: Record<string, unknown>): PostprocessingFlags {
  return { threshold: options['threshold'] as number | undefined, largestComponent: options['largestComponent'] as boolean | undefined, tta: options['tta'] as boolean | undefined };
}

/** What the export applies, as predict reports it (exports from before the cleanup and TTA were recorded: off). */
function describeExportPostprocessing(model: MedsegModel): string {
  const post = model.postprocessing;
  return describePostprocessing({ threshold: post.threshold, largestComponent: post.largestComponent === true, tta: post.tta === true }, post.chosenBy);
}

/** Formats `medseg export` writes. */
export const exportFormats: readonly string[] = ['onnx', 'web'];

async function runOnnx(models: string[], out: string, options: Record<string, unknown>, context: CliContext): Promise<ExitCode> {
  // Folding BatchNormalization reads the weights through tfjs: any backend computes the same float32 products.
  await selectBackend('auto');
  const result = await exportOnnx({ models, out, postprocessing: postprocessingFlags(options), overwrite: options['overwrite'] === true });
  const { description } = result;
  const onnx = description.onnx!;
  if (options['json'] === true) {
    writeLine(context.stdout, JSON.stringify({ files: result.files, bytes: result.bytes, description }, null, 2));
  } else {
    writeLine(context.stdout, `exported ${models.length === 1 ? models[0] : `an ensemble of ${models.length}`} to ${out}`);
    writeLine(context.stdout, `  ${result.files.model}: ONNX opset ${onnx.opset}, ${mib(result.bytes)}, input ${onnx.inputName} [${onnx.inputShape.join(', ')}] NHWC, output ${onnx.outputName} [${onnx.outputShape.join(', ')}] ${description.postprocessing.activation}`);
    writeLine(context.stdout, `  ${result.files.description}: preprocessing, classes (${medsegModelLabels(description).join(', ')}), ${describeExportPostprocessing(description)}, provenance`);
  }
  return ExitCode.Ok;
}

export const exportCommand: CommandModule = {
  name: 'export',
  summary: 'Export a trained model for use outside medseg: ONNX (model.onnx + medseg-model.json), or a static web page that segments DICOM in the browser',
  configure: (command: Command) =>
    command
      .requiredOption('--model <dirs...>', 'training run folder (uses best/, else last/) or a checkpoint folder; several make an ensemble')
      .addOption(new Option('--format <format>', 'what to write').choices([...exportFormats]).makeOptionMandatory())
      .requiredOption('--out <dir>', 'output folder (onnx: model.onnx, medseg-model.json; web: index.html, medseg-web.js, medseg-model.json, model/)')
      .option('--threshold <p>', "foreground probability threshold (one class) [default: the run's choice on validation, else 0.5]", fraction)
      .option('--largest-component', "keep only the largest 3D connected component of each label [default: the run's choice on validation, else off]")
      .option('--no-largest-component', 'keep every component, whatever the run chose')
      .option('--tta', "flip test-time augmentation, recorded for the consumer (ONNX) or done by the page (web) [default: the run's choice on validation, else off]")
      .option('--no-tta', 'no test-time augmentation, whatever the run chose')
      .option('--modality <name>', "web: series modality the page accepts (default: the training dataset's)")
      .option('--overwrite', 'replace an existing export in the output folder')
      .option('--serve', 'web: then serve the site on http://127.0.0.1 until interrupted')
      .option('--port <n>', 'port for --serve (0: a free one)', (v) => Number.parseInt(v, 10), 8080)
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const models = (options['model'] as string[]).map((m) => resolve(context.cwd, m));
    const out = resolve(context.cwd, options['out'] as string);
    if (options['format'] === 'onnx') return runOnnx(models, out, options, context);
    const result = await exportWebSite({
      models,
      out,
      postprocessing: postprocessingFlags(options),
      ...(options['modality'] === undefined ? {} : { modality: options['modality'] as string }),
      overwrite: options['overwrite'] === true,
    });
    if (options['json'] === true) {
      const { manifest, ...summary } = result;
      writeLine(context.stdout, JSON.stringify({ ...summary, classes: medsegModelLabels(manifest), modality: manifest.preprocessing.modality }, null, 2));
    } else {
      writeLine(context.stdout, `wrote ${result.out}: ${result.files.length} files, ${mib(result.totalBytes)} (script ${mib(result.bundleBytes)}, model ${mib(result.modelBytes)})`);
      writeLine(context.stdout, `  accepts ${result.manifest.preprocessing.modality ?? 'any'} series; classes ${medsegModelLabels(result.manifest).slice(1).join(', ')}; ${describeExportPostprocessing(result.manifest)}; open index.html from any static web server, or: medseg serve ${result.out}`);
    }
    if (options['serve'] === true) return serveUntilInterrupted(result.out, options['port'] as number, context);
    return ExitCode.Ok;
  },
};
