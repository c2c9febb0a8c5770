import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  arrangeSlices,
  type DicomSeriesInfo,
  MedsegError,
  printable,
  type SeriesProblem,
  scanDicomTree,
  transferSyntaxName,
  type Vec3,
} from '@medseg/data';
import type { CommandModule } from '../command.js';
import { ExitCode, writeLine } from '../context.js';

interface SeriesSummary {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  patientId: string;
  modality: string;
  description: string;
  seriesNumber: number | null;
  files: number;
  transferSyntaxes: string[];
  size: Vec3;
  spacing: Vec3;
  origin: Vec3;
  orientation: [Vec3, Vec3, Vec3];
  problems: SeriesProblem[];
}

/** What `info` says about a series: geometry from the headers alone, no pixels decoded. */
export function summariseSeries(series: DicomSeriesInfo): SeriesSummary {
  const first = series.instances[0]!;
  const fallback = first.spacingBetweenSlices ?? first.sliceThickness ?? 1;
  const arrangement = arrangeSlices(series.instances.flatMap((i) => i.frames), fallback > 0 ? fallback : 1);
  return {
    seriesInstanceUid: series.seriesInstanceUid,
    studyInstanceUid: series.studyInstanceUid,
    patientId: series.patientId,
    modality: series.modality,
    description: series.seriesDescription,
    seriesNumber: series.seriesNumber ?? null,
    files: series.instances.length,
    transferSyntaxes: series.transferSyntaxUids.map(transferSyntaxName),
    size: [arrangement.columns, arrangement.rows, arrangement.slices.length],
    spacing: arrangement.spacing,
    origin: arrangement.origin,
    orientation: [...arrangement.direction],
    problems: arrangement.problems,
  };
}

const fmt = (v: readonly number[], digits = 3): string => v.map((x) => Number(x.toFixed(digits)).toString()).join(' x ');
const vec = (v: readonly number[]): string => `[${v.map((x) => Number(x.toFixed(4)).toString()).join(', ')}]`;

export const infoCommand: CommandModule = {
  name: 'info',
  summary: 'List the DICOM series under a file or folder: modality, syntax, size, spacing, orientation, problems',
  configure: (command: Command) => command.argument('<path>', 'DICOM file or folder (searched recursively)').option('--json', 'machine-readable output'),
  run: async (args, options, context) => {
    const path = resolve(context.cwd, args[0]!);
    const scan = await scanDicomTree(path);
    if (scan.series.length === 0 && scan.others.length === 0) {
      const first = scan.skipped[0];
      const why = first === undefined ? '' : `; ${first.path === path ? '' : `${printable(first.path)}: `}${printable(first.reason)}`;
      throw new MedsegError(`no readable DICOM files (${scan.skipped.length} skipped${why})`, { path });
    }
    const series = scan.series.map(summariseSeries);
    if (options['json']) {
      writeLine(context.stdout, JSON.stringify({ path, series, others: scan.others, skipped: scan.skipped }, null, 2));
      return ExitCode.Ok;
    }
    // Every string below comes from the files: printed inert (no escapes, no forged lines).
    const p = (text: string): string => printable(text);
    series.forEach((s, i) => {
      writeLine(context.stdout, `Series ${i + 1}/${series.length}: ${p(s.seriesInstanceUid)}`);
      writeLine(context.stdout, `  patient ${p(s.patientId) || '-'}, ${p(s.modality) || '?'}${s.description ? `, "${p(s.description)}"` : ''}`);
      writeLine(context.stdout, `  files: ${s.files}, transfer syntax: ${s.transferSyntaxes.map(p).join(', ')}`);
      writeLine(context.stdout, `  size: ${fmt(s.size, 0)} voxels, spacing: ${fmt(s.spacing)} mm`);
      writeLine(context.stdout, `  origin: ${vec(s.origin)} mm (LPS), directions: ${s.orientation.map(vec).join(' ')}`);
      if (s.problems.length === 0) writeLine(context.stdout, '  problems: none');
      for (const problem of s.problems) writeLine(context.stdout, `  problem (${problem.kind}): ${p(problem.message)}`);
    });
    if (scan.others.length > 0) {
      writeLine(context.stdout, `Other objects: ${scan.others.length}`);
      for (const o of scan.others) writeLine(context.stdout, `  ${p(o.modality) || '?'} ${p(o.sopClassUid)} ${p(o.path)}`);
    }
    if (scan.skipped.length > 0) {
      writeLine(context.stdout, `Skipped files: ${scan.skipped.length}`);
      for (const s of scan.skipped) writeLine(context.stdout, `  ${p(s.path)}: ${p(s.reason)}`);
    }
    return ExitCode.Ok;
  },
};
