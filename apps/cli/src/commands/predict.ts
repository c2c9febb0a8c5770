import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { inShard, parseShard, type SeriesRef, type SeriesShard } from '@medseg/data';
import { type BackendChoice, backendChoices, describePostprocessing, type EngineName, engineChoices, type PredictionSplit, type ResolvedPostprocessing, type RunPredictionEvent, runPrediction } from '@medseg/models';
import type { CommandModule } from '../command.js';
import { fraction, integer } from '../options.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';
import { addDicomWebOptions, dicomWebClient, dicomWebInput } from '../dicomweb.js';
import { createProgress, type Progress } from '../progress.js';
import { workersOptionHelp } from '../replicas.js';

/** `--shard K/N`, or `--shard-from-env N` with K from JOB_COMPLETION_INDEX; undefined for the whole input. */
function predictShard(options: Record<string, unknown>, context: CliContext): SeriesShard | undefined {
  if (options['shard'] !== undefined && options['shardFromEnv'] !== undefined) throw new UsageError('give --shard or --shard-from-env, not both');
  const fromEnv = options['shardFromEnv'] as number | undefined;
  const text = fromEnv === undefined ? (options['shard'] as string | undefined) : `${context.env['JOB_COMPLETION_INDEX'] ?? ''}/${fromEnv}`;
  if (text === undefined) return undefined;
  try {
    return parseShard(text);
  } catch (error) {
    throw new UsageError(`${fromEnv === undefined ? '--shard' : '--shard-from-env with JOB_COMPLETION_INDEX'}: ${(error as Error).message}`);
  }
}

/** Image series per PatientID as the server listed them, or undefined if it left PatientID out of any. */
function seriesPerPatient(series: readonly SeriesRef[]): Map<string, number> | undefined {
  if (series.some((s) => s.patientId === undefined)) return undefined;
  const counts = new Map<string, number>();
  for (const s of series) counts.set(s.patientId!, (counts.get(s.patientId!) ?? 0) + 1);
  return counts;
}

export const predictCommand: CommandModule = {
  name: 'predict',
  summary: 'Segment DICOM series (or a dataset) with a trained run: NIfTI label maps, PNG overlays and DICOM SEG',
  configure: (command: Command) =>
    addDicomWebOptions(command)
      .requiredOption('--model <dirs...>', 'training run folder (uses best/, else last/) or a checkpoint folder; several make an ensemble (mean probabilities)')
      .option('--input <dir>', 'DICOM file or folder tree, or a dataset folder (manifest.json); or --dicomweb')
      .requiredOption('--out <dir>', 'output folder (predictions.json, <case>.nii.gz, <case>.seg.dcm, png/)')
      .option('--overwrite', 'replace an earlier prediction in --out (written beside it, then swapped in)')
      .option('--tta', "flip test-time augmentation: the mean over the plain, left-right, up-down and doubly flipped slice [default: the run's choice on validation, else off]")
      .option('--no-tta', 'no test-time augmentation, whatever the run chose')
      .option('--largest-component', "keep only the largest 3D connected component of each label [default: the run's choice on validation, else off]")
      .option('--no-largest-component', "keep every component, whatever the run chose")
      .option('--threshold <p>', "foreground probability threshold (one class) [default: the run's choice on validation, else 0.5]", fraction)
      .option('--batch-size <n>', 'slices per forward pass', integer(1), 8)
      .addOption(new Option('--split <split>', "dataset input: cases to predict (train and val follow the models' cross-validation fold, if they trained on one)").choices(['all', 'train', 'val', 'test']).default('all'))
      .option('--no-seg', 'do not write DICOM SEG files')
      .option('--allow-modality-mismatch', 'predict series of another modality than the training data (refused otherwise)')
      .option('--workers <n>', workersOptionHelp, integer(1), 1)
      .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...backendChoices]).default('auto'))
      .addOption(new Option('--engine <name>', 'forward pass: onnx (ONNX Runtime, native CPU, --workers threads), tfjs, or auto (onnx when onnxruntime-node loads and the model exports)').choices([...engineChoices]).default('auto'))
      .option('--store', 'send each DICOM SEG back with STOW-RS (to --dicomweb, or --store-url)')
      .option('--store-url <url>', 'DICOMweb base URL for --store')
      .option('--shard <K/N>', 'predict shard K of N (0-based): the series whose SeriesInstanceUID hashes to K')
      .option('--shard-from-env <N>', 'shard K/N with K from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)', integer(1))
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const out = resolve(context.cwd, options['out'] as string);
    if ((options['input'] === undefined) === (options['dicomweb'] === undefined)) throw new UsageError('give one of --input DIR or --dicomweb URL');
    const shard = predictShard(options, context);
    const storeUrl = options['store'] === true ? ((options['storeUrl'] as string | undefined) ?? (options['dicomweb'] as string | undefined)) : undefined;
    if (options['store'] === true && storeUrl === undefined) throw new UsageError('--store needs --dicomweb or --store-url');
    if (options['store'] === true && options['seg'] === false) throw new UsageError('--store sends the DICOM SEGs: it cannot go with --no-seg');
    const store = storeUrl === undefined ? undefined : await dicomWebClient(storeUrl, options, context);
    const keep = (uid: string) => shard === undefined || inShard(uid, shard);
    const remote = options['dicomweb'] === undefined ? undefined : await dicomWebInput(options, context, { masks: false, seriesFilter: keep });
    let bar: Progress | undefined;
    const onEvent = (event: RunPredictionEvent) => {
      if (event.type === 'backend') {
        writeLine(context.stderr, `backend: ${event.backend.description}`);
        if (event.backend.warning !== undefined) writeLine(context.stderr, event.backend.warning);
      } else if (event.type === 'engine') writeLine(context.stderr, `engine: ${event.description}`);
      else if (event.type === 'ensemble') writeLine(context.stderr, `ensemble of ${event.members} models: the label maps come from their mean probabilities`);
      else if (event.type === 'fold') writeLine(context.stderr, `--split ${event.split}: the models' cross-validation fold ${event.fold.fold} of ${event.fold.folds}`);
      else if (event.type === 'skipped') writeLine(context.stderr, `skipped ${event.path}: ${event.reason}`);
      else if (event.type === 'note') writeLine(context.stderr, event.message);
      else if (event.type === 'postprocessing') writeLine(context.stderr, `post-processing: ${describePostprocessing(event.postprocessing, event.postprocessing.sources)}${event.postprocessing.note === undefined ? '' : ` (${event.postprocessing.note})`}`);
      else if (event.type === 'stored') {
        const o = event.outcome;
        writeLine(context.stderr, o.status === 'stored' ? `${event.id}: stored SEG ${o.sopInstanceUid} in study ${o.studyInstanceUid}` : `medseg: ${event.id}: SEG not stored (${o.reason}); it stays in ${event.file}`);
      } else if (event.type === 'case-start') bar = createProgress(context, `predict ${event.id}`, 1);
      else {
        bar?.update(1, `${event.result.foregroundVoxels} foreground voxels`);
        bar?.stop();
        bar = undefined;
      }
    };
    const perPatient = remote === undefined ? undefined : seriesPerPatient(remote.selectedImageSeries);
    const result = await runPrediction(
      {
        models: (options['model'] as string[]).map((m) => resolve(context.cwd, m)),
        input: remote?.folder ?? resolve(context.cwd, options['input'] as string),
        out,
        overwrite: options['overwrite'] === true,
        tta: options['tta'] as boolean | undefined,
        largestComponent: options['largestComponent'] as boolean | undefined,
        threshold: options['threshold'] as number | undefined,
        batchSize: options['batchSize'] as number,
        split: options['split'] as PredictionSplit,
        seg: options['seg'] !== false,
        allowModalityMismatch: options['allowModalityMismatch'] === true,
        workers: options['workers'] as number,
        backend: options['backend'] as BackendChoice,
        engine: options['engine'] as EngineName | 'auto',
        commandLine: context.argv,
        shard,
        ...(perPatient === undefined ? {} : { seriesPerPatient: perPatient }),
        skipped: remote?.failed ?? [],
        inputLabel: options['dicomweb'] === undefined ? undefined : String(options['dicomweb']),
        store,
        storeUrl,
      },
      onEvent,
    ).finally(() => bar?.stop());
    const { record, seconds, slices } = result;
    if (options['json'] === true) {
      writeLine(context.stdout, JSON.stringify({ ...record, seconds, slicesPerSecond: slices / seconds }, null, 2));
    } else {
      writeLine(context.stdout, `predicted ${record.cases.length} series (${slices} slices) in ${seconds.toFixed(1)} s with ${result.checkpoints.join(' + ')}; wrote ${out}`);
      writeLine(context.stdout, `post-processing: ${describePostprocessing(record.settings['postprocessing'] as ResolvedPostprocessing, (record.settings['postprocessing'] as ResolvedPostprocessing).sources)}`);
      for (const c of record.cases) writeLine(context.stdout, `  ${c.id}: ${c.foregroundVoxels} foreground voxels${c.files.seg ? `, ${c.files.seg}` : ''}`);
      if (record.skipped.length > 0) writeLine(context.stdout, `skipped: ${record.skipped.length} input(s), listed in predictions.json`);
    }
    const storeFailed = record.cases.filter((c) => c.store?.status === 'failed').length;
    if (storeFailed > 0) writeLine(context.stderr, `medseg: ${storeFailed} SEG(s) not stored, listed in predictions.json`);
    // An empty shard is a normal outcome of sharding, not a failure.
    const nothing = record.cases.length === 0 && (shard === undefined || record.skipped.length > 0);
    return nothing || storeFailed > 0 || (remote?.failed.length ?? 0) > 0 ? ExitCode.Failure : ExitCode.Ok;
  },
};
