import { basename, dirname, extname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import {
  checkOutputFile,
  checkOutputFolder,
  outputWriteError,
  uniqueSafeNames,
  type OutputFolder,
  prepareOutputFolder,
  type DicomSeriesInfo,
  type MaskSource,
  MaskError,
  MedsegError,
  NiftiDatatype,
  buildCaseMask,
  pairMaskSources,
  readDicomSeries,
  scanDicomTree,
  writeNifti,
} from '@medseg/data';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../progress.js';

const niftiExtension = /\.nii(\.gz)?$/;

/**
 * A file name per series that is readable, safe and unique: patient, series number, modality, made safe and
 * bounded by `uniqueSafeNames` (collisions get a suffix from the SeriesInstanceUID).
 */
export function seriesFileNames(series: readonly DicomSeriesInfo[], extension: string): string[] {
  return uniqueSafeNames(series.map((s, i) => ({ parts: [s.patientId || 'series', s.seriesNumber ?? i + 1, s.modality], uid: s.seriesInstanceUid })), 'series').map((name) => `${name}${extension}`);
}

interface Converted {
  seriesInstanceUid: string;
  output: string;
  shape: readonly number[];
  datatype: string;
  problems: string[];
}

export const convertCommand: CommandModule = {
  name: 'convert',
  summary: 'Convert DICOM series to NIfTI-1 (.nii or .nii.gz) with the scanner (RAS) affine',
  configure: (command: Command) =>
    command
      .argument('<path>', 'DICOM file or folder (searched recursively)')
      .requiredOption('-o, --output <out>', 'output .nii/.nii.gz file for one series, or a folder for several')
      .option('--mask <file>', 'write this mask instead of the image, as a label map on the grid of the series it belongs to: an RTSTRUCT or SEG (paired by reference), a NIfTI label map or a folder of PNG slices')
      .option('--roi <pattern...>', "RTSTRUCT ROI name patterns, one class each ('GTV*'); default: all ROIs as one class")
      .option('--seg-threshold <t>', 'threshold for fractional SEGs', '0.5')
      .option('--overwrite', 'replace an existing output file, or an earlier conversion in the output folder')
      .option('--json', 'machine-readable output'),
  run: async (args, options, context) => {
    const path = resolve(context.cwd, args[0]!);
    const out = resolve(context.cwd, String(options['output']));
    // A name with another extension is neither a NIfTI file nor a sensible folder name: say so instead of making a folder 'x.txt'.
    if (!niftiExtension.test(out) && extname(out) !== '') throw new UsageError(`--output ${String(options['output'])}: give a .nii or .nii.gz file, or a folder (no extension)`);
    const overwrite = options['overwrite'] === true;
    if (niftiExtension.test(out)) await checkOutputFile(out, { overwrite });
    else await checkOutputFolder(out, { kind: 'convert', overwrite });
    const scan = await scanDicomTree(path);
    if (scan.series.length === 0) throw new MedsegError(`no DICOM image series (${scan.skipped.length} files skipped)`, { path });
    if (options['mask'] !== undefined) {
      const maskPath = resolve(context.cwd, String(options['mask']));
      const written = await convertMask(scan.series, maskPath, out, {
        roi: (options['roi'] as string[] | undefined) ?? [],
        segThreshold: Number(options['segThreshold']),
      });
      if (options['json']) writeLine(context.stdout, JSON.stringify({ path, mask: maskPath, ...written }, null, 2));
      else writeLine(context.stdout, `${written.output}: ${written.shape.join('x')} uint8 label map (${written.classes.join(', ')}; ${written.foregroundVoxels} foreground voxels)`);
      return ExitCode.Ok;
    }
    const single = scan.series.length === 1 && niftiExtension.test(out);
    let outputs: string[];
    let folder: OutputFolder | undefined;
    if (single) {
      outputs = [out];
    } else {
      if (niftiExtension.test(out)) {
        throw new MedsegError(`found ${scan.series.length} series: give a folder, not a .nii file, as --output`, { path: out });
      }
      folder = await prepareOutputFolder(out, { kind: 'convert', overwrite });
      const work = folder.work;
      outputs = seriesFileNames(scan.series, '.nii.gz').map((name) => join(work, name));
    }
    const converted: Converted[] = [];
    const failed: { seriesInstanceUid: string; reason: string }[] = [];
    const progress = scan.series.length > 1 ? createProgress(context, 'convert', scan.series.length) : undefined;
    for (const [i, series] of scan.series.entries()) {
      progress?.update(i, series.seriesDescription || series.seriesInstanceUid);
      try {
        const result = await readDicomSeries(series);
        await writeNifti(outputs[i]!, result.volume);
        converted.push({
          seriesInstanceUid: series.seriesInstanceUid,
          output: folder === undefined ? outputs[i]! : join(out, basename(outputs[i]!)),
          shape: result.volume.shape,
          datatype: result.volume.data.constructor.name.replace('Array', '').toLowerCase(),
          problems: result.problems.map((p) => `${p.kind}: ${p.message}`),
        });
      } catch (error) {
        // A bad series is reported and the others still convert; a full or read-only disk stops the run.
        const writeFailure = outputWriteError(error, single ? dirname(out) : out);
        if (writeFailure) throw writeFailure;
        if (!(error instanceof MedsegError)) throw error;
        failed.push({ seriesInstanceUid: series.seriesInstanceUid, reason: error.message });
      }
    }
    progress?.update(scan.series.length);
    progress?.stop();
    await folder?.commit();
    if (options['json']) {
      writeLine(context.stdout, JSON.stringify({ path, converted, failed, skipped: scan.skipped }, null, 2));
    } else {
      for (const c of converted) {
        writeLine(context.stdout, `${c.output}: ${c.shape.join('x')} ${c.datatype}`);
        for (const p of c.problems) writeLine(context.stdout, `  problem ${p}`);
      }
      for (const f of failed) writeLine(context.stderr, `medseg: series ${f.seriesInstanceUid} not converted: ${f.reason}`);
      for (const s of scan.skipped) writeLine(context.stderr, `medseg: skipped ${s.path}: ${s.reason}`);
    }
    return converted.length > 0 ? ExitCode.Ok : ExitCode.Failure;
  },
};

/**
 * The ground truth of one series as a NIfTI label map on that series' grid: the same pairing and rasterisation
 * as `medseg ingest`, for one mask.
 */
async function convertMask(
  series: readonly DicomSeriesInfo[],
  maskPath: string,
  out: string,
  options: { roi: readonly string[]; segThreshold: number },
): Promise<{ output: string; seriesInstanceUid: string; shape: readonly number[]; classes: readonly string[]; foregroundVoxels: number }> {
  if (!niftiExtension.test(out)) throw new MedsegError('with --mask, --output must be a .nii or .nii.gz file', { path: out });
  let target: DicomSeriesInfo | undefined;
  let source: MaskSource;
  const isFolder = (await stat(maskPath).catch(() => undefined))?.isDirectory() ?? false;
  if (isFolder || niftiExtension.test(maskPath)) {
    if (series.length !== 1) throw new MaskError(`found ${series.length} series: a NIfTI or PNG mask needs a path holding exactly one`, { path: maskPath });
    target = series[0];
    source = { kind: isFolder ? 'png' : 'nifti', path: maskPath };
  } else {
    const maskScan = await scanDicomTree(maskPath);
    if (maskScan.others.length === 0) throw new MaskError(`not an RTSTRUCT or SEG (${maskScan.skipped[0]?.reason ?? 'an image'})`, { path: maskPath });
    const { pairs, unmatched } = await pairMaskSources(series, { dicom: maskScan.others, named: [] });
    const [pair] = [...pairs.entries()];
    if (!pair) throw new MaskError(unmatched[0]?.reason ?? 'references none of the series found', { path: maskPath });
    target = series.find((s) => s.seriesInstanceUid === pair[0]);
    source = pair[1];
  }
  const volume = await readDicomSeries(target!);
  const mask = await buildCaseMask(volume, source, options);
  await writeNifti(out, { ...volume.volume, data: mask.labels }, { datatype: NiftiDatatype.Uint8, labelMap: true });
  return {
    output: out,
    seriesInstanceUid: volume.seriesInstanceUid,
    shape: volume.volume.shape,
    classes: mask.classes,
    foregroundVoxels: mask.labels.reduce((sum, v) => sum + (v > 0 ? 1 : 0), 0),
  };
}
