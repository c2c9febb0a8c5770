import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defaultBackboneName, getBackbone, resolveEncoderWeights } from '@medseg/models';
import type { Command } from 'commander';
import type { CommandModule } from '../command.js';
import { type CliContext, ExitCode, type ExitCode as ExitCodeType, writeLine } from '../context.js';
import { UsageError } from '../errors.js';

const ENCODER = defaultBackboneName;

/** ImageNet weights if they can be had (cache, download, or a local folder); otherwise say so and go on without. */
async function chooseEncoderWeights(requested: string, context: CliContext): Promise<string> {
  if (requested === 'none') return 'none';
  try {
    // MEDSEG_WEIGHTS_URL: the model.json of a mirror (shards beside it), for sites that cannot reach Google's storage.
    const mirror = context.env['MEDSEG_WEIGHTS_URL'];
    const probe = resolveEncoderWeights(getBackbone(ENCODER), requested, { env: context.env, ...(mirror ? { url: mirror } : {}) });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 30 s')), 30_000).unref());
    await Promise.race([probe, timeout]);
    return requested;
  } catch (error) {
    if (requested !== 'imagenet') throw error;
    writeLine(context.stderr, `medseg demo: the ImageNet weights could not be downloaded (${error instanceof Error ? error.message : String(error)}).`);
    writeLine(context.stderr, 'medseg demo: continuing with a randomly initialised encoder (--encoder-weights none): this run shows the pipeline,');
    writeLine(context.stderr, 'medseg demo: not what ImageNet transfer is worth. Pass --encoder-weights PATH (a folder with model.json) to use a local copy.');
    return 'none';
  }
}

/**
 * The whole pipeline on data the project makes itself: phantom → ingest → train → predict → eval. Each step is
 * an ordinary medseg command, printed before it runs, so a user can repeat the demo on their own data.
 */
export const demoCommand: CommandModule = {
  name: 'demo',
  summary: 'Run the whole pipeline (phantom DICOM study → ingest → train → predict → eval) and print the Dice reached',
  configure: (command: Command) =>
    command
      .option('--out <dir>', 'folder for everything the demo writes', 'medseg-demo')
      .option('--encoder-weights <source>', "'imagenet' (downloaded into the cache), a local folder, or 'none'", 'imagenet')
      .option('--patients <n>', 'phantom patients (at least 6: the last two are held out for testing, the two before for validation)', '12')
      .option('--epochs <n>', 'training epochs', '12')
      .option('--size <n>', 'phantom slice size and network input size (a multiple of 32)', '96')
      .option('--seed <n>', 'seed of the phantom, the split and the training', '1')
      .option('--backend <name>', 'TensorFlow.js backend', 'auto')
      // A fixed default rather than the machine's core count, so the demo gives the same bytes everywhere.
      .option('--workers <n>', 'threads that share training and prediction (see train --workers)', '2'),
  async run(_args, options, context) {
    const { run } = await import('../main.js');
    const out = resolve(context.cwd, String(options['out']));
    const seed = String(options['seed']);
    const weights = await chooseEncoderWeights(String(options['encoderWeights']), context);
    const paths = { dicom: join(out, 'dicom'), dataset: join(out, 'dataset'), run: join(out, 'run'), predictions: join(out, 'predictions'), report: join(out, 'report') };
    const patients = Number(options['patients']);
    if (!Number.isInteger(patients) || patients < 6) throw new UsageError(`--patients must be an integer of at least 6, got '${String(options['patients'])}'`);
    const id = (n: number) => `PHANTOM_${String(n).padStart(3, '0')}`;
    // Validation patients choose the best epoch; the test patients are never seen until the report.
    const validation = [id(patients - 3), id(patients - 2)].join(',');
    const test = [id(patients - 1), id(patients)].join(',');
    const steps: string[][] = [
      ['phantom', '--out', paths.dicom, '--patients', String(options['patients']), '--seed', seed, '--size', String(options['size'])],
      ['ingest', '--images', paths.dicom, '--roi', 'GTV*', '--out', paths.dataset, '--val', '0', '--test', '0', '--val-patients', validation, '--test-patients', test],
      ['train', '--dataset', paths.dataset, '--out', paths.run, '--encoder', ENCODER, '--encoder-weights', weights, '--epochs', String(options['epochs']),
        '--batch-size', '16', '--lr', '0.003', '--decoder-filters', '32-16-16-8-8', '--augment', 'light', '--input-size', String(options['size']),
        '--seed', seed, '--backend', String(options['backend']), '--workers', String(options['workers'])],
      ['predict', '--model', paths.run, '--input', paths.dataset, '--split', 'test', '--out', paths.predictions, '--backend', String(options['backend']),
        '--workers', String(options['workers'])],
      ['eval', '--pred', paths.predictions, '--truth', paths.dataset, '--out', paths.report],
    ];
    const started = Date.now();
    for (const step of steps) {
      writeLine(context.stdout, `\n$ medseg ${step.map((a) => (/[\s*]/.test(a) ? `'${a}'` : a)).join(' ')}`);
      const code: ExitCodeType = await run(step, context);
      if (code !== ExitCode.Ok) {
        writeLine(context.stderr, `medseg demo: step '${step[0]}' failed (exit ${code}); everything so far is in ${out}`);
        return code;
      }
    }
    const metrics = JSON.parse(await readFile(join(paths.report, 'metrics.json'), 'utf8')) as { cases: { dice: number | null }[] };
    const dices = metrics.cases.map((c) => c.dice).filter((d): d is number => d !== null);
    const meanDice = dices.reduce((a, b) => a + b, 0) / Math.max(1, dices.length);
    writeLine(context.stdout, '');
    writeLine(context.stdout, `demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s (encoder weights: ${weights})`);
    writeLine(context.stdout, `  DICOM study:  ${paths.dicom}`);
    writeLine(context.stdout, `  dataset:      ${paths.dataset}`);
    writeLine(context.stdout, `  model:        ${paths.run}`);
    writeLine(context.stdout, `  predictions:  ${paths.predictions} (NIfTI, DICOM SEG, PNG)`);
    writeLine(context.stdout, `  report:       ${join(paths.report, 'report.html')}`);
    writeLine(context.stdout, `mean Dice on ${dices.length} held-out test patient(s): ${meanDice.toFixed(3)}`);
    return ExitCode.Ok;
  },
};
