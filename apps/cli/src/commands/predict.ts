import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type BackendChoice, backendChoices, type PredictionSplit, type RunPredictionEvent, runPrediction } from '@medseg/models';
import type { CommandModule } from '../command.js';
import { fraction, integer } from '../options.js';
import { ExitCode, writeLine } from '../context.js';
import { createProgress, type Progress } from '../progress.js';
import { workersOptionHelp } from '../replicas.js';

export const predictCommand: CommandModule = {
  name: 'predict',
  summary: 'Segment DICOM series (or a dataset) with a trained run: NIfTI label maps, PNG overlays and DICOM SEG',
  configure: (command: Command) =>
    command
      .requiredOption('--model <dirs...>', 'training run folder (uses best/, else last/) or a checkpoint folder; several make an ensemble (mean probabilities)')
      .requiredOption('--input <dir>', 'DICOM file or folder tree, or a dataset folder (manifest.json)')
      .requiredOption('--out <dir>', 'output folder (predictions.json, <case>.nii.gz, <case>.seg.dcm, png/)')
      .option('--overwrite', 'replace an earlier prediction in --out (written beside it, then swapped in)')
      .option('--tta', 'flip test-time augmentation (mean over the plain, left-right, up-down and doubly flipped slice)')
      .option('--largest-component', 'keep only the largest 3D connected component of each label')
      .option('--threshold <p>', 'foreground probability threshold (one class)', fraction, 0.5)
      .option('--batch-size <n>', 'slices per forward pass', integer(1), 8)
      .addOption(new Option('--split <split>', "dataset input: cases to predict (train and val follow the models' cross-validation fold, if they trained on one)").choices(['all', 'train', 'val', 'test']).default('all'))
      .option('--no-seg', 'do not write DICOM SEG files')
      .option('--allow-modality-mismatch', 'predict series of another modality than the training data (refused otherwise)')
      .option('--workers <n>', workersOptionHelp, integer(1), 1)
      .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...backendChoices]).default('auto'))
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const out = resolve(context.cwd, options['out'] as string);
    let bar: Progress | undefined;
    const onEvent = (event: RunPredictionEvent) => {
      if (event.type === 'backend') {
        writeLine(context.stderr, `backend: ${event.backend.description}`);
        if (event.backend.warning !== undefined) writeLine(context.stderr, event.backend.warning);
      } else if (event.type === 'ensemble') writeLine(context.stderr, `ensemble of ${event.members} models: the label maps come from their mean probabilities`);
      else if (event.type === 'fold') writeLine(context.stderr, `--split ${event.split}: the models' cross-validation fold ${event.fold.fold} of ${event.fold.folds}`);
      else if (event.type === 'skipped') writeLine(context.stderr, `skipped ${event.path}: ${event.reason}`);
      else if (event.type === 'note') writeLine(context.stderr, event.message);
      else if (event.type === 'case-start') bar = createProgress(context, `predict ${event.id}`, 1);
      else {
        bar?.update(1, `${event.result.foregroundVoxels} foreground voxels`);
        bar?.stop();
        bar = undefined;
      }
    };
    const result = await runPrediction(
      {
        models: (options['model'] as string[]).map((m) => resolve(context.cwd, m)),
        input: resolve(context.cwd, options['input'] as string),
        out,
        overwrite: options['overwrite'] === true,
        tta: options['tta'] === true,
        largestComponent: options['largestComponent'] === true,
        threshold: options['threshold'] as number,
        batchSize: options['batchSize'] as number,
        split: options['split'] as PredictionSplit,
        seg: options['seg'] !== false,
        allowModalityMismatch: options['allowModalityMismatch'] === true,
        workers: options['workers'] as number,
        backend: options['backend'] as BackendChoice,
        commandLine: context.argv,
      },
      onEvent,
    ).finally(() => bar?.stop());
    const { record, seconds, slices } = result;
    if (options['json'] === true) {
      writeLine(context.stdout, JSON.stringify({ ...record, seconds, slicesPerSecond: slices / seconds }, null, 2));
    } else {
      writeLine(context.stdout, `predicted ${record.cases.length} series (${slices} slices) in ${seconds.toFixed(1)} s with ${result.checkpoints.join(' + ')}; wrote ${out}`);
      for (const c of record.cases) writeLine(context.stdout, `  ${c.id}: ${c.foregroundVoxels} foreground voxels${c.files.seg ? `, ${c.files.seg}` : ''}`);
      if (record.skipped.length > 0) writeLine(context.stdout, `skipped: ${record.skipped.length} input(s), listed in predictions.json`);
    }
    return record.cases.length === 0 ? ExitCode.Failure : ExitCode.Ok;
  },
};
