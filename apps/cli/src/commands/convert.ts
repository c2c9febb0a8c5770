import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type DicomSeriesInfo, MedsegError, readDicomSeries, scanDicomTree, writeNifti } from '@medseg/data';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';
import { createProgress } from '../progress.js';

const niftiExtension = /\.nii(\.gz)?$/;

/** A file name per series that is readable and unique: patient, series number, modality. */
export function seriesFileNames(series: readonly DicomSeriesInfo[], extension: string): string[] {
  const used = new Map<string, number>();
  return series.map((s, i) => {
    const parts = [s.patientId || 'series', s.seriesNumber ?? i + 1, s.modality].filter((p) => p !== '');
    const base = parts.join('_').replace(/[^A-Za-z0-9._-]+/g, '-');
    const count = used.get(base) ?? 0;
    used.set(base, count + 1);
    return `${count === 0 ? base : `${base}_${count + 1}`}${extension}`;
  });
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
      .option('--json', 'machine-readable output'),
  run: async (args, options, context) => {
    const path = resolve(context.cwd, args[0]!);
    const out = resolve(context.cwd, String(options['output']));
    const scan = await scanDicomTree(path);
    if (scan.series.length === 0) throw new MedsegError(`no DICOM image series (${scan.skipped.length} files skipped)`, { path });
    const single = scan.series.length === 1 && niftiExtension.test(out);
    let outputs: string[];
    if (single) {
      outputs = [out];
    } else {
      if (niftiExtension.test(out)) {
        throw new MedsegError(`found ${scan.series.length} series: give a folder, not a .nii file, as --output`, { path: out });
      }
      await mkdir(out, { recursive: true });
      outputs = seriesFileNames(scan.series, '.nii.gz').map((name) => join(out, name));
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
          output: outputs[i]!,
          shape: result.volume.shape,
          datatype: result.volume.data.constructor.name.replace('Array', '').toLowerCase(),
          problems: result.problems.map((p) => `${p.kind}: ${p.message}`),
        });
      } catch (error) {
        // A bad series is reported and the others still convert.
        if (!(error instanceof MedsegError)) throw error;
        failed.push({ seriesInstanceUid: series.seriesInstanceUid, reason: error.message });
      }
    }
    progress?.update(scan.series.length);
    progress?.stop();
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
