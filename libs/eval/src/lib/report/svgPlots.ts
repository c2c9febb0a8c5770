import { createRng } from '@medseg/data';
import { percentile } from '@medseg/data';
import { escapeHtml, formatNumber } from './escapeHtml.js';

export interface PlotPoint {
  readonly value: number;
  /** Shown on hover (an SVG <title>). */
  readonly label: string;
}

export interface PlotGroup {
  readonly name: string;
  readonly points: readonly PlotPoint[];
  readonly colour: string;
}

const font = 'font-family="system-ui, sans-serif" font-size="11"';

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * Box plot (median, quartiles, whiskers to the most extreme points within 1.5 IQR) with every case drawn on
 * top as a jittered point (seeded jitter, so the picture is the same every run). Non-finite values are left out
 * and counted under the group name.
 */
export function boxStripPlot(groups: readonly PlotGroup[], options: { title: string; unit: string; seed: number; width?: number; height?: number }): string {
  const width = options.width ?? 260;
  const height = options.height ?? 220;
  const left = 44, right = 10, top = 22, bottom = 38;
  const finite = groups.flatMap((g) => g.points.map((p) => p.value).filter(Number.isFinite));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const y = (v: number) => top + ((hi - v) / (hi - lo)) * (height - top - bottom);
  const band = (width - left - right) / Math.max(1, groups.length);
  const rng = createRng(options.seed);
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="14" text-anchor="middle" ${font} font-weight="600">${escapeHtml(options.title)}${options.unit ? ` (${escapeHtml(options.unit)})` : ''}</text>`);
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${left - 4}" y="${(y(t) + 3.5).toFixed(1)}" text-anchor="end" ${font} fill="#555">${formatNumber(t)}</text>`);
  }
  groups.forEach((g, k) => {
    const cx = left + band * (k + 0.5);
    const values = Float64Array.from(g.points.map((p) => p.value).filter(Number.isFinite)).sort();
    const excluded = g.points.length - values.length;
    if (values.length > 0) {
      const q1 = percentile(values, 25, true), med = percentile(values, 50, true), q3 = percentile(values, 75, true);
      const iqr = q3 - q1;
      const whiskerLo = values.find((v) => v >= q1 - 1.5 * iqr) ?? values[0]!;
      const whiskerHi = [...values].reverse().find((v) => v <= q3 + 1.5 * iqr) ?? values[values.length - 1]!;
      const bw = Math.min(44, band * 0.55);
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(whiskerLo).toFixed(1)}" y2="${y(whiskerHi).toFixed(1)}" stroke="#666"/>`);
      parts.push(`<rect x="${(cx - bw / 2).toFixed(1)}" y="${y(q3).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(1, y(q1) - y(q3)).toFixed(1)}" fill="${g.colour}" fill-opacity="0.18" stroke="${g.colour}"/>`);
      parts.push(`<line x1="${(cx - bw / 2).toFixed(1)}" x2="${(cx + bw / 2).toFixed(1)}" y1="${y(med).toFixed(1)}" y2="${y(med).toFixed(1)}" stroke="${g.colour}" stroke-width="2"/>`);
    }
    for (const p of g.points) {
      if (!Number.isFinite(p.value)) continue;
      const jx = cx + (rng.next() - 0.5) * Math.min(36, band * 0.5);
      parts.push(`<circle cx="${jx.toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="2.6" fill="${g.colour}" fill-opacity="0.75"><title>${escapeHtml(p.label)}: ${formatNumber(p.value, 4)}</title></circle>`);
    }
    parts.push(`<text x="${cx}" y="${height - 22}" text-anchor="middle" ${font}>${escapeHtml(g.name)}</text>`);
    parts.push(`<text x="${cx}" y="${height - 9}" text-anchor="middle" ${font} fill="#777">n=${values.length}${excluded ? `, ${excluded} excl.` : ''}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}

export interface ScatterPoint {
  readonly x: number;
  readonly y: number;
  readonly label: string;
  readonly colour: string;
}

/** Scatter plot; a logarithmic x axis when the x values span more than a factor of 20. */
export function scatterPlot(points: readonly ScatterPoint[], options: { title: string; xLabel: string; yLabel: string; width?: number; height?: number; yRange?: [number, number] }): string {
  const width = options.width ?? 520;
  const height = options.height ?? 300;
  const left = 50, right = 14, top = 24, bottom = 40;
  const usable = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.x > 0);
  const xs = usable.map((p) => p.x);
  const xMin = xs.length ? Math.min(...xs) : 1;
  const xMax = xs.length ? Math.max(...xs) : 10;
  const log = xMax / xMin > 20;
  const fx = (v: number) => (log ? Math.log10(v) : v);
  let x0 = fx(xMin), x1 = fx(xMax);
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  const xp = (x1 - x0) * 0.05;
  x0 -= xp;
  x1 += xp;
  const [y0, y1] = options.yRange ?? [0, 1];
  const px = (v: number) => left + ((fx(v) - x0) / (x1 - x0)) * (width - left - right);
  const py = (v: number) => top + ((y1 - v) / (y1 - y0)) * (height - top - bottom);
  const parts: string[] = [];
  parts.push(`<text x="${width / 2}" y="15" text-anchor="middle" ${font} font-weight="600">${escapeHtml(options.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${left - 4}" y="${(py(t) + 3.5).toFixed(1)}" text-anchor="end" ${font} fill="#555">${formatNumber(t)}</text>`);
  }
  const xTicks = log
    ? niceTicks(Math.floor(x0), Math.ceil(x1), Math.max(1, Math.ceil(x1) - Math.floor(x0))).filter((t) => Number.isInteger(t)).map((t) => 10 ** t)
    : niceTicks(x0, x1);
  for (const t of xTicks) {
    const x = px(t);
    if (x < left - 0.5 || x > width - right + 0.5) continue;
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${height - bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${height - bottom + 14}" text-anchor="middle" ${font} fill="#555">${formatNumber(t)}</text>`);
  }
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 6}" text-anchor="middle" ${font}>${escapeHtml(options.xLabel)}${log ? ' (log scale)' : ''}</text>`);
  parts.push(`<text transform="translate(12 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle" ${font}>${escapeHtml(options.yLabel)}</text>`);
  for (const p of usable) {
    parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.2" fill="${p.colour}" fill-opacity="0.8"><title>${escapeHtml(p.label)}: ${formatNumber(p.y, 4)} at ${formatNumber(p.x, 4)}</title></circle>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}
