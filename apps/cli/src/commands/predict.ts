import { dirname, join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  type DatasetCase,
  defaultNormalization,
  type DicomSeriesVolume,
  normalizeIntensity,
  type NormalizationSpec,
  readDatasetCase,
  readDatasetManifest,
  readDicomSeries,
  renderOverlayPng,
  scanDicomTree,
  segSourceFromSeries,
  type Volume,
  writeDicomSeg,
  writeFileAtomic,
  writeNifti,
  NiftiDatatype,
  caseIdsForSeries,
  type CrossValidationFold,
  pathExists,
  MedsegError,
  inShard,
  parseShard,
  type SeriesShard,
  type SeriesRef,
  type StoreOutcome,
  storeDicomFile,
} from '@medseg/data';
import { type BackendChoice, backendChoices, type CheckpointContents, checkpointFolder, datasetCaseSplits, type EngineName, engineChoices, loadCheckpoint, predictVolume, readOnnxExport, selectBackend, selectPredictionEngines, type TrainSettings, type Unet } from '@medseg/models';
import type { CommandModule } from '../command.js';
import { fraction, integer } from '../options.js';
import { type CliContext, ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';
import { addDicomWebOptions, dicomWebClient, dicomWebInput } from '../dicomweb.js';
import { createProgress } from '../progress.js';
import { startReplicas, workersOptionHelp } from '../replicas.js';


/** `RUN` (its best/, else last/) or a checkpoint folder itself. */
async function resolveCheckpoint(model: string): Promise<string> {
  for (const candidate of [join(model, 'best'), join(model, 'last'), model]) {
    if ((await checkpointFolder(candidate)) !== null) return candidate;
  }
  // An ONNX file from elsewhere is refused by readOnnxExport (no medseg-model.json); a medseg export names its run.
  if (model.endsWith('.onnx') || (await pathExists(join(model, 'model.onnx')))) {
    const { description } = await readOnnxExport(model);
    throw new UsageError(`--model ${model}: an ONNX export; predict takes the run it came from (${description.provenance.members.map((m) => m.checkpoint).join(', ')}) with --engine onnx`);
  }
  throw new UsageError(`--model ${model}: not a training run or checkpoint folder (no best/, last/ or state.json)`);
}

/**
 * The checkpoints of an ensemble, checked to be interchangeable: the same classes and the same intensity
 * normalisation (a member trained on differently normalised images would be fed the wrong input).
 */
async function loadEnsemble(checkpoints: readonly string[]): Promise<CheckpointContents[]> {
  const members: CheckpointContents[] = [];
  try {
    for (const checkpoint of checkpoints) {
      const member = await loadCheckpoint(checkpoint);
      // Prediction never resumes training: the optimiser's moments would only hold memory.
      for (const weights of Object.values(member.optimizers)) for (const { tensor } of weights) tensor.dispose();
      members.push(member);
    }
    const describe = (m: CheckpointContents) => {
      const dataset = (m.training as TrainSettings).dataset;
      return JSON.stringify({ classes: dataset?.classes, normalization: dataset?.normalization });
    };
    const first = describe(members[0]!);
    for (const [i, member] of members.entries()) {
      if (member.unet.config.classes !== members[0]!.unet.config.classes || describe(member) !== first) {
        throw new UsageError(`--model ${checkpoints[i]}: its classes or intensity normalisation differ from ${checkpoints[0]}'s; an ensemble needs interchangeable models`);
      }
    }
    return members;
  } catch (error) {
    for (const member of members) member.unet.dispose();
    throw error;
  }
}

/**
 * The cross-validation fold the members trained on, which defines a dataset's train and val cases for them
 * (a fold's held-out patients are what it is evaluated on); undefined when none trained on a fold. Members of
 * different folds have no common validation cases, so asking for them is refused.
 */
function memberFold(members: readonly CheckpointContents[], checkpoints: readonly string[]): CrossValidationFold | undefined {
  const folds = members.map((m) => (m.training as TrainSettings).dataset?.fold);
  const key = (fold: CrossValidationFold | undefined) => JSON.stringify(fold ?? null);
  const differs = folds.findIndex((fold) => key(fold) !== key(folds[0]));
  if (differs >= 0) {
    throw new UsageError(`--model ${checkpoints[differs]}: trained on another cross-validation fold than ${checkpoints[0]}, so --split train/val means different cases for each; predict --split all or test`);
  }
  return folds[0];
}

interface PredictedCase {
  id: string;
  seriesInstanceUid: string;
  foregroundVoxels: number;
  files: { nifti: string; seg?: string; png: string[] };
  /** With --store: what the DICOMweb server did with the SEG. */
  store?: StoreOutcome;
}

interface CaseInput {
  id: string;
  /** Normalised image on the grid the label map is written on. */
  image: Volume<Float32Array>;
  seriesInstanceUid: string;
  /** The source series when the grid is the source's own (a SEG can reference it). */
  series?: DicomSeriesVolume;
}

async function writeOutputs(out: string, input: CaseInput, labels: Volume<Uint8Array>, unet: Unet, classes: readonly string[], writeSeg: boolean): Promise<PredictedCase> {
  const { id, image } = input;
  const nifti = `${id}.nii.gz`;
  await writeNifti(join(out, nifti), labels, { datatype: NiftiDatatype.Uint8, labelMap: true, description: `medseg prediction ${id}` });
  const [w, h, d] = image.shape;
  const png: string[] = [];
  for (let z = 0; z < d; z++) {
    const mask = labels.data.subarray(z * w * h, (z + 1) * w * h);
    if (!mask.some((v) => v !== 0)) continue;
    const file = `png/${id}/${String(z).padStart(4, '0')}.png`;
    await writeFileAtomic(join(out, file), await renderOverlayPng([{ image: image.data.subarray(z * w * h, (z + 1) * w * h), width: w, height: h, outlines: [mask] }]));
    png.push(file);
  }
  let foregroundVoxels = 0;
  for (const v of labels.data) if (v !== 0) foregroundVoxels++;
  const result: PredictedCase = { id, seriesInstanceUid: input.seriesInstanceUid, foregroundVoxels, files: { nifti, png } };
  if (writeSeg && input.series !== undefined) {
    const seg = `${id}.seg.dcm`;
    await writeDicomSeg(join(out, seg), {
      source: await segSourceFromSeries(input.series),
      labels: labels.data,
      segments: Array.from({ length: unet.config.classes }, (_, i) => ({ label: i + 1, name: classes[i + 1] ?? `class ${i + 1}` })),
      algorithm: { name: `medseg U-Net ${unet.config.backbone}`, version: '0.1.0' },
      seriesDescription: `medseg ${unet.config.backbone} U-Net`,
    });
    result.files.seg = seg;
  }
  return result;
}

/** Series of a DICOM tree, normalised as the training data was, each with its case id. */
async function* dicomInputs(input: string, normalization: NormalizationSpec | undefined, skip: (path: string, reason: string) => void, keep: (seriesInstanceUid: string) => boolean, seriesPerPatient?: ReadonlyMap<string, number>): AsyncGenerator<CaseInput> {
  const scan = await scanDicomTree(input);
  for (const file of scan.skipped) skip(file.path, file.reason);
  // Safe, bounded, unique case IDs (the same rule as ingest): they name the files written under --out.
  const ids = caseIdsForSeries(scan.series, seriesPerPatient);
  for (const [i, info] of scan.series.entries()) {
    // A shard's series; the case ids above were counted over the whole input, so they agree across shards.
    if (!keep(info.seriesInstanceUid)) continue;
    let input: CaseInput;
    try {
      const series = await readDicomSeries(info);
      const spec = normalization ?? defaultNormalization(series.modality);
      const id = ids[i]!;
      input = { id, image: normalizeIntensity(series.volume, spec).volume, seriesInstanceUid: info.seriesInstanceUid, series };
    } catch (error) {
      // One unreadable series (bad pixel data, inconsistent geometry) must not cost the others their predictions.
      const path = (error instanceof MedsegError ? error.path : undefined) ?? info.files[0] ?? info.seriesInstanceUid;
      const message = error instanceof Error ? error.message : String(error);
      skip(path, `series ${info.seriesInstanceUid} not predicted: ${message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message}`);
      continue;
    }
    yield input;
  }
}

/** Cases of a dataset folder (already normalised); the source series is read back when the grid is its own. */
async function* datasetInputs(dataset: string, split: string, fold: CrossValidationFold | undefined, context: CliContext, keep: (seriesInstanceUid: string) => boolean): AsyncGenerator<CaseInput> {
  const manifest = await readDatasetManifest(dataset);
  const sameGrid = manifest.settings.spacing === undefined && manifest.settings.size === undefined;
  const splits = datasetCaseSplits(manifest, fold);
  const cases = manifest.cases.filter((entry: DatasetCase, i) => (split === 'all' || splits[i] === split) && keep(entry.seriesInstanceUid));
  for (const entry of cases) {
    const { image } = await readDatasetCase(dataset, entry);
    let series: DicomSeriesVolume | undefined;
    if (sameGrid && (await pathExists(entry.source.firstImage))) {
      const scan = await scanDicomTree(dirname(entry.source.firstImage));
      const info = scan.series.find((s) => s.seriesInstanceUid === entry.seriesInstanceUid);
      if (info !== undefined) series = await readDicomSeries(info);
    }
    if (series === undefined) writeLine(context.stderr, `${entry.id}: source series not available on the same grid; no DICOM SEG`);
    yield { id: entry.id, image, seriesInstanceUid: entry.seriesInstanceUid, ...(series === undefined ? {} : { series }) };
  }
}

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
      .option('--tta', 'flip test-time augmentation (mean over the plain, left-right, up-down and doubly flipped slice)')
      .option('--largest-component', 'keep only the largest 3D connected component of each label')
      .option('--threshold <p>', 'foreground probability threshold (one class)', fraction, 0.5)
      .option('--batch-size <n>', 'slices per forward pass', integer(1), 8)
      .addOption(new Option('--split <split>', "dataset input: cases to predict (train and val follow the models' cross-validation fold, if they trained on one)").choices(['all', 'train', 'val', 'test']).default('all'))
      .option('--no-seg', 'do not write DICOM SEG files')
      .option('--workers <n>', workersOptionHelp, integer(1), 1)
      .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices([...backendChoices]).default('auto'))
      .addOption(new Option('--engine <name>', 'forward pass: onnx (ONNX Runtime, native CPU, --workers threads), tfjs, or auto (onnx when onnxruntime-node loads and the model exports)').choices([...engineChoices]).default('auto'))
      .option('--store', 'send each DICOM SEG back with STOW-RS (to --dicomweb, or --store-url)')
      .option('--store-url <url>', 'DICOMweb base URL for --store')
      .option('--shard <K/N>', 'predict shard K of N (0-based): the series whose SeriesInstanceUID hashes to K')
      .option('--shard-from-env <N>', 'shard K/N with K from $JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs)', integer(1))
      .option('--json', 'machine-readable summary'),
  run: async (_args, options, context) => {
    const modelDirs = (options['model'] as string[]).map((m) => resolve(context.cwd, m));
    const out = resolve(context.cwd, options['out'] as string);
    if ((options['input'] === undefined) === (options['dicomweb'] === undefined)) throw new UsageError('give one of --input DIR or --dicomweb URL');
    const shard = predictShard(options, context);
    const keep = (uid: string) => shard === undefined || inShard(uid, shard);
    const storeUrl = options['store'] === true ? ((options['storeUrl'] as string | undefined) ?? (options['dicomweb'] as string | undefined)) : undefined;
    if (options['store'] === true && storeUrl === undefined) throw new UsageError('--store needs --dicomweb or --store-url');
    if (options['store'] === true && options['seg'] === false) throw new UsageError('--store sends the DICOM SEGs: it cannot go with --no-seg');
    const storeClient = storeUrl === undefined ? undefined : await dicomWebClient(storeUrl, options, context);
    const remote = options['dicomweb'] === undefined ? undefined : await dicomWebInput(options, context, { masks: false, seriesFilter: keep });
    const input = remote?.folder ?? resolve(context.cwd, options['input'] as string);
    if (!(await pathExists(input))) throw new UsageError(`--input ${input}: no such file or folder`);
    const checkpoints = await Promise.all(modelDirs.map(resolveCheckpoint));
    const backend = await selectBackend(options['backend'] as BackendChoice);
    writeLine(context.stderr, `backend: ${backend.description}`);
    if (backend.warning !== undefined) writeLine(context.stderr, backend.warning);
    const members = await loadEnsemble(checkpoints);
    const unets = members.map((m) => m.unet);
    const settings = members[0]!.training as TrainSettings;
    const classes = settings.dataset?.classes ?? ['background', 'foreground'];
    const normalization = settings.dataset?.normalization as NormalizationSpec | undefined;
    if (unets.length > 1) writeLine(context.stderr, `ensemble of ${unets.length} models: the label maps come from their mean probabilities`);
    const isDataset = await pathExists(join(input, 'manifest.json'));
    const skipped: { path: string; reason: string }[] = [...(remote?.failed ?? [])];
    const skip = (path: string, reason: string) => {
      skipped.push({ path, reason });
      writeLine(context.stderr, `skipped ${path}: ${reason}`);
    };
    const split = options['split'] as string;
    const fold = isDataset && (split === 'train' || split === 'val') ? memberFold(members, checkpoints) : undefined;
    if (fold !== undefined) writeLine(context.stderr, `--split ${split}: the models' cross-validation fold ${fold.fold} of ${fold.folds}`);
    const inputs = isDataset ? datasetInputs(input, split, fold, context, keep) : dicomInputs(input, normalization, skip, keep, remote === undefined ? undefined : seriesPerPatient(remote.selectedImageSeries));
    const predictOptions = {
      batchSize: options['batchSize'] as number,
      tta: options['tta'] === true,
      threshold: options['threshold'] as number,
      largestComponent: options['largestComponent'] === true,
    };
    const engines = await selectPredictionEngines(members.map((contents, i) => ({ checkpoint: checkpoints[i]!, contents })), { engine: options['engine'] as EngineName | 'auto', threads: options['workers'] as number });
    writeLine(context.stderr, `engine: ${engines.description}`);
    const replicas = engines.engine === 'tfjs' ? await startReplicas(unets, options['workers'] as number, backend.name, settings.loss, context) : undefined;
    const cases: PredictedCase[] = [];
    const started = Date.now();
    let slices = 0;
    try {
      for await (const caseInput of inputs) {
        const bar = createProgress(context, `predict ${caseInput.id}`, 1);
        const labels = await predictVolume(engines.members, caseInput.image, { ...predictOptions, ...(replicas === undefined ? {} : { replicas }) });
        slices += caseInput.image.shape[2];
        const predicted = await writeOutputs(out, caseInput, labels, unets[0]!, classes, options['seg'] !== false);
        if (storeClient !== undefined && predicted.files.seg !== undefined) {
          predicted.store = await storeDicomFile(storeClient, join(out, predicted.files.seg));
          const outcome = predicted.store;
          writeLine(context.stderr, outcome.status === 'stored' ? `${predicted.id}: stored SEG ${outcome.sopInstanceUid} in study ${outcome.studyInstanceUid}` : `medseg: ${predicted.id}: SEG not stored (${outcome.reason}); it stays in ${join(out, predicted.files.seg)}`);
        }
        cases.push(predicted);
        bar.update(1, `${cases.at(-1)!.foregroundVoxels} foreground voxels`);
        bar.stop();
      }
    } finally {
      await engines.dispose();
      for (const unet of unets) unet.dispose();
      await Promise.all((replicas ?? []).map((pool) => pool.close()));
    }
    const seconds = (Date.now() - started) / 1000;
    const record = {
      model: checkpoints.length === 1 ? checkpoints[0]! : checkpoints,
      input: options['dicomweb'] === undefined ? input : String(options['dicomweb']),
      ...(shard === undefined ? {} : { shard }),
      ...(storeUrl === undefined ? {} : { storeUrl }),
      settings: { ...predictOptions, engine: engines.engine, backend: backend.name, workers: replicas === undefined && engines.engine === 'tfjs' ? 1 : options['workers'], ...(isDataset ? { split } : {}), ...(fold === undefined ? {} : { fold }) },
      cases,
      skipped,
    };
    await writeFileAtomic(join(out, 'predictions.json'), `${JSON.stringify(record, null, 2)}\n`);
    if (options['json'] === true) {
      writeLine(context.stdout, JSON.stringify({ ...record, seconds, slicesPerSecond: slices / seconds }, null, 2));
    } else {
      writeLine(context.stdout, `predicted ${cases.length} series (${slices} slices) in ${seconds.toFixed(1)} s with ${checkpoints.join(' + ')}; wrote ${out}`);
      for (const c of cases) writeLine(context.stdout, `  ${c.id}: ${c.foregroundVoxels} foreground voxels${c.files.seg ? `, ${c.files.seg}` : ''}`);
      if (skipped.length > 0) writeLine(context.stdout, `skipped: ${skipped.length} input(s), listed in predictions.json`);
    }
    const storeFailed = cases.filter((c) => c.store?.status === 'failed').length;
    if (storeFailed > 0) writeLine(context.stderr, `medseg: ${storeFailed} SEG(s) not stored, listed in predictions.json`);
    // An empty shard is a normal outcome of sharding, not a failure.
    const nothing = cases.length === 0 && (shard === undefined || skipped.length > 0);
    return nothing || storeFailed > 0 || (remote?.failed.length ?? 0) > 0 ? ExitCode.Failure : ExitCode.Ok;
  },
};
