import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareOutputFolder, readNifti, writeFileAtomic } from '@medseg/data';
import { readLabelMap } from '../readLabelMap.js';
import type { EvalResult } from '../runEvaluation.js';
import { metricsCsv } from './metricsCsv.js';
import { metricsJson } from './metricsJson.js';
import { type CasePicture, reportHtml } from './reportHtml.js';
import { renderCaseSlice } from './renderCaseSlice.js';

export interface WrittenReports {
  readonly json: string;
  readonly csv: string;
  readonly html: string;
}

/** Best, median and worst case of each class by Dice (finite values only). */
export function pickCases(result: EvalResult): { case: string; label: number; rank: CasePicture['rank']; dice: number }[] {
  const out: { case: string; label: number; rank: CasePicture['rank']; dice: number }[] = [];
  for (const label of result.settings.labels) {
    const ranked = result.cases.filter((r) => r.label === label && Number.isFinite(r.dice)).sort((a, b) => a.dice - b.dice || a.case.localeCompare(b.case));
    if (ranked.length === 0) continue;
    const picks: [CasePicture['rank'], number][] = [['best', ranked.length - 1], ['median', Math.floor((ranked.length - 1) / 2)], ['worst', 0]];
    const used = new Set<number>();
    for (const [rank, index] of picks) {
      if (used.has(index)) continue;
      used.add(index);
      out.push({ case: ranked[index]!.case, label, rank, dice: ranked[index]!.dice });
    }
  }
  return out;
}

export interface WriteReportsOptions {
  /** Replace an earlier report in `outDir` (refused otherwise, as is any other non-empty folder). */
  readonly overwrite?: boolean;
}

/**
 * Writes metrics.json, metrics.csv and report.html as one unit: into a folder beside `outDir`, which then
 * takes its place, so a reader never sees the files of two evaluations mixed or half a report. Re-reads the few
 * pictured cases (truth, prediction, image when known) to draw them.
 */
export async function writeReports(result: EvalResult, outDir: string, options: WriteReportsOptions = {}): Promise<WrittenReports> {
  const folder = await prepareOutputFolder(outDir, { kind: 'eval', staged: true, ...(options.overwrite === true ? { overwrite: true } : {}) });
  const files = new Map(result.inputs.cases.map((c) => [c.id, c]));
  const pictures: CasePicture[] = [];
  for (const pick of pickCases(result)) {
    const c = files.get(pick.case)!;
    const [truth, pred] = await Promise.all([readLabelMap(c.truth), readLabelMap(c.pred)]);
    let image: Awaited<ReturnType<typeof readNifti>> | undefined;
    if (c.image !== undefined) {
      const candidate = await readNifti(c.image);
      if (candidate.shape.every((n, i) => n === truth.grid.shape[i])) image = candidate;
    }
    const picture = renderCaseSlice(truth.labels, pred.labels, truth.grid, pick.label, image?.data);
    pictures.push({ ...pick, pngBase64: Buffer.from(picture.png).toString('base64'), width: picture.width, height: picture.height, slice: picture.slice });
  }
  const names = { json: 'metrics.json', csv: 'metrics.csv', html: 'report.html' };
  try {
    await writeFileAtomic(join(folder.work, names.json), `${JSON.stringify(metricsJson(result), null, 2)}\n`);
    await writeFileAtomic(join(folder.work, names.csv), metricsCsv(result.cases, result.settings.classNames));
    await writeFileAtomic(join(folder.work, names.html), reportHtml(result, pictures));
    await folder.commit();
  } catch (error) {
    if (folder.work !== outDir) await rm(folder.work, { recursive: true, force: true });
    throw error;
  }
  return { json: join(outDir, names.json), csv: join(outDir, names.csv), html: join(outDir, names.html) };
}
