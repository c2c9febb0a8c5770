import { resolve } from 'node:path';
import { type IngestProgress, ingestDataset } from '@medseg/data';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandModule } from '../command.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { addDicomWebOptions, dicomWebInput } from '../dicomweb.js';
import { UsageError } from '../errors.js';
import { integer, positive, share } from '../options.js';
import { createProgress } from '../progress.js';

function size(value: string): [number, number] {
  const parts = value.split(/[x,]/).map(Number);
  const [w, h] = parts.length === 1 ? [parts[0]!, parts[0]!] : [parts[0]!, parts[1]!];
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) throw new InvalidArgumentError(`expected N or WxH in pixels, got '${value}'`);
  return [w, h];
}

export const ingestCommand: CommandModule = {
  name: 'ingest',
  summary: 'Turn DICOM series and their masks into a dataset folder (manifest, arrays, previews)',
  configure: (command: Command) =>
    addDicomWebOptions(command)
      .option('--images <dir>', 'DICOM file or folder tree; RTSTRUCT/SEG objects in it are paired by reference (or --dicomweb)')
      .requiredOption('--out <dir>', 'dataset folder to write')
      .option('--resume', 'continue an earlier (interrupted) ingest into --out, reusing its finished cases')
      .option('--overwrite', 'replace the dataset in --out (written beside it, then swapped in)')
      .option('--masks <path>', 'extra masks: a folder of RTSTRUCT/SEG, NAME.nii[.gz] label maps or NAME/ folders of PNG slices (NAME = case, patient or series UID), or one file')
      .option('--roi <pattern...>', "RTSTRUCT ROI name patterns, one class each ('GTV*'); default: all ROIs as one class")
      .option('--seed <n>', 'split seed', integer(0), 0)
      .option('--val <fraction>', 'fraction of patients for validation', share, 0.2)
      .option('--test <fraction>', 'fraction of patients for testing', share, 0)
      .option('--val-patients <patterns>', "patients forced into validation, comma-separated ID patterns ('STS_03*')")
      .option('--test-patients <patterns>', 'patients forced into test')
      .option('--spacing <mm>', 'resample every slice to this in-plane spacing (image linear, mask nearest)', positive)
      .option('--size <WxH>', 'crop or pad every slice to this size around its centre', size)
      .option('--normalize <spec>', 'auto | none | window[:NAME|:C,W] | percentile[:LO,HI] | zscore[:LO,HI] | ct:LOW,HIGH,MEAN,STD', 'auto')
      .option('--drop-empty', 'train only on slices with foreground (they are all stored)')
      .option('--seg-threshold <t>', 'threshold for fractional SEGs', share, 0.5)
      .option('--json', 'print the manifest summary as JSON'),
  async run(_args, options, context: CliContext) {
    const spacing = options['spacing'] as number | undefined;
    if ((options['images'] === undefined) === (options['dicomweb'] === undefined)) throw new UsageError('give one of --images DIR or --dicomweb URL');
    // From a DICOMweb server: its series (and the RTSTRUCT/SEG of their studies) into the cache, then as a folder.
    const remote = options['dicomweb'] === undefined ? undefined : await dicomWebInput(options, context, { masks: true });
    let progress: ReturnType<typeof createProgress> | undefined;
    const result = await ingestDataset({
      images: remote?.folder ?? resolve(context.cwd, String(options['images'])),
      out: resolve(context.cwd, String(options['out'])),
      resume: options['resume'] === true,
      overwrite: options['overwrite'] === true,
      ...(options['masks'] === undefined ? {} : { masks: resolve(context.cwd, String(options['masks'])) }),
      roi: (options['roi'] as string[] | undefined) ?? [],
      seed: options['seed'] as number,
      val: options['val'] as number,
      test: options['test'] as number,
      ...(options['valPatients'] === undefined ? {} : { valPatients: String(options['valPatients']) }),
      ...(options['testPatients'] === undefined ? {} : { testPatients: String(options['testPatients']) }),
      ...(spacing === undefined ? {} : { spacing }),
      ...(options['size'] === undefined ? {} : { size: options['size'] as [number, number] }),
      normalize: String(options['normalize']),
      emptySlices: options['dropEmpty'] ? 'drop' : 'keep',
      segThreshold: options['segThreshold'] as number,
      onProgress: (event: IngestProgress) => {
        progress ??= createProgress(context, 'ingest', event.total);
        progress.update(event.index + 1, `${event.caseId} ${event.status}`);
        if (event.status === 'skipped') writeLine(context.stderr, `medseg: skipped ${event.caseId}: ${event.reason ?? ''}`);
      },
    });
    progress?.stop();
    const { manifest } = result;
    for (const skipped of manifest.skipped) writeLine(context.stderr, `medseg: skipped ${skipped.path}: ${skipped.reason}`);
    if (options['json']) {
      const dicomweb = remote === undefined ? {} : { dicomweb: { series: remote.series.length, instances: remote.instances, fetched: remote.fetched, reused: remote.reused, failed: remote.failed } };
      writeLine(context.stdout, JSON.stringify({ out: String(options['out']), cases: manifest.cases.length, written: result.written, reused: result.reused, splits: manifest.splits, classes: manifest.classes, skipped: manifest.skipped, ...dicomweb }, null, 2));
    } else {
      writeLine(context.stdout, `dataset: ${String(options['out'])}`);
      writeLine(context.stdout, `cases: ${manifest.cases.length} (${result.written} written, ${result.reused} reused); splits: train ${manifest.splits.train}, val ${manifest.splits.val}, test ${manifest.splits.test}`);
      const described = (manifest.classInfo ?? []).slice(1).map((c) => (c.label === c.key ? c.key : `${c.key} (${c.roiNames.join(', ')})`));
      writeLine(context.stdout, `classes: ${(described.length > 0 ? described : manifest.classes.slice(1)).join(', ')}`);
      if (manifest.skipped.length > 0) writeLine(context.stdout, `skipped: ${manifest.skipped.length} input(s), listed in manifest.json`);
    }
    // Instances that did not arrive leave the dataset short of what was asked: fail, so that the rerun is made.
    return manifest.cases.length === 0 || (remote?.failed.length ?? 0) > 0 ? ExitCode.Failure : ExitCode.Ok;
  },
};
