import { pathToFileURL } from 'node:url';
import type { ClassSummary } from '../aggregate.js';
import { type MetricName, metricInfo } from '../metricNames.js';
import type { EvalResult } from '../runEvaluation.js';
import type { CaseResult } from '../segmentationMetrics.js';
import { conventions } from './conventions.js';
import { escapeHtml, formatNumber } from './escapeHtml.js';
import { reportNotes } from './metricsJson.js';
import { boxStripPlot, scatterPlot } from './svgPlots.js';

/** A picture of a case for the best/median/worst panel. */
export interface CasePicture {
  readonly case: string;
  readonly label: number;
  readonly rank: 'best' | 'median' | 'worst';
  readonly dice: number;
  readonly pngBase64: string;
  readonly width: number;
  readonly height: number;
  readonly slice: number;
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const compareColour = '#7f7f7f';
const plotted: MetricName[] = ['dice', 'iou', 'precision', 'recall', 'hd', 'hd95', 'assd', 'surfaceDice', 'volumeDiffMl'];

function summaryTable(summary: ClassSummary, classNames: Readonly<Record<string, string>>, caption: string): string {
  const rows: string[] = [];
  for (const [label, stats] of Object.entries(summary)) {
    for (const m of metricInfo) {
      const s = stats[m.name];
      if (!s) continue;
      rows.push(
        `<tr><td>${escapeHtml(`${label} ${classNames[label] ?? ''}`)}</td><td>${escapeHtml(m.label)}${m.unit ? ` <span class="unit">${escapeHtml(m.unit)}</span>` : ''}</td>` +
          `<td>${formatNumber(s.mean)}</td><td>${formatNumber(s.std)}</td><td>${formatNumber(s.ci95[0])} – ${formatNumber(s.ci95[1])}</td>` +
          `<td>${formatNumber(s.median)}</td><td>${formatNumber(s.q1)} – ${formatNumber(s.q3)}</td><td>${formatNumber(s.min)} – ${formatNumber(s.max)}</td>` +
          `<td>${s.n}</td><td>${s.nan + s.infinite ? `${s.nan} NaN, ${s.infinite} ∞` : ''}</td></tr>`,
      );
    }
  }
  return `<table class="summary"><caption>${escapeHtml(caption)}</caption><thead><tr><th>class</th><th>metric</th><th>mean</th><th>std</th><th>95% CI of mean</th><th>median</th><th>quartiles</th><th>min – max</th><th>n</th><th>excluded</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function casesTable(cases: readonly CaseResult[], classNames: Readonly<Record<string, string>>): string {
  const shown = metricInfo.filter((m) => m.name !== 'specificity');
  const head = `<tr><th>case</th><th>patient</th><th>class</th>${shown.map((m) => `<th>${escapeHtml(m.label)}${m.unit ? `<br><span class="unit">${escapeHtml(m.unit)}</span>` : ''}</th>`).join('')}<th>truth<br><span class="unit">mL</span></th><th>empty</th></tr>`;
  const rows = cases.map(
    (r) =>
      `<tr id="case-${escapeHtml(r.case)}-${r.label}" data-case="${escapeHtml(r.case)}"><td>${escapeHtml(r.case)}</td><td>${escapeHtml(r.patientId)}</td><td>${escapeHtml(`${r.label} ${classNames[String(r.label)] ?? ''}`)}</td>` +
      shown.map((m) => `<td>${formatNumber(r[m.name], 4)}</td>`).join('') +
      `<td>${formatNumber(r.truthVolumeMl, 4)}</td><td>${r.empty === 'none' ? '' : escapeHtml(r.empty)}</td></tr>`,
  );
  return `<table class="cases"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function pairedTable(result: EvalResult): string {
  const paired = result.comparison?.paired;
  if (!paired) return '';
  const rows: string[] = [];
  for (const [label, metrics] of Object.entries(paired)) {
    for (const m of metricInfo) {
      const c = metrics[m.name];
      if (!c) continue;
      rows.push(
        `<tr><td>${escapeHtml(`${label} ${result.settings.classNames[label] ?? ''}`)}</td><td>${escapeHtml(m.label)}</td><td>${formatNumber(c.meanA)}</td><td>${formatNumber(c.meanB)}</td>` +
          `<td>${formatNumber(c.meanDiff)}</td><td>${formatNumber(c.ci95[0])} – ${formatNumber(c.ci95[1])}</td><td>${c.wilcoxon ? formatNumber(c.wilcoxon.pValue) : '–'}</td><td>${c.wilcoxon?.method ?? ''}</td><td>${c.n}</td></tr>`,
      );
    }
  }
  return `<h2>Paired comparison</h2><p>This run (${escapeHtml(result.settings.pred)}) minus ${escapeHtml(result.settings.compare ?? '')}, case by case.</p>
<table class="summary"><thead><tr><th>class</th><th>metric</th><th>this run</th><th>other run</th><th>mean difference</th><th>95% CI</th><th>Wilcoxon p</th><th>method</th><th>pairs</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * report.html: one self-contained page (inline CSS, inline SVG plots, PNG pictures as data URIs, no script)
 * with the settings and conventions, the summary tables, box/strip plots per metric, Dice against tumour volume,
 * the best, median and worst cases, and every case in a table.
 */
export function reportHtml(result: EvalResult, pictures: readonly CasePicture[]): string {
  const s = result.settings;
  const names = s.classNames;
  const labels = s.labels;
  const caseCount = new Set(result.cases.map((r) => r.case)).size;
  const seedBase = s.seed;

  const plots = plotted.map((name, k) => {
    const info = metricInfo.find((m) => m.name === name)!;
    const groups = labels.flatMap((label, i) => {
      const own = { name: result.comparison ? `${label} this` : `${names[String(label)] ?? label}`, colour: palette[i % palette.length]!, points: result.cases.filter((r) => r.label === label).map((r) => ({ value: r[name], label: r.case })) };
      if (!result.comparison) return [own];
      return [own, { name: `${label} other`, colour: compareColour, points: result.comparison.cases.filter((r) => r.label === label).map((r) => ({ value: r[name], label: r.case })) }];
    });
    return boxStripPlot(groups, { title: info.label, unit: info.unit, seed: seedBase + k });
  });

  const scatterPoints = result.cases
    .filter((r) => r.empty === 'none' || r.empty === 'pred')
    .map((r) => ({ x: r.truthVolumeMl, y: r.dice, label: `${r.case} (class ${r.label})`, colour: palette[labels.indexOf(r.label) % palette.length]! }));
  // Dice from a tenth below the lowest case to 1: small differences between good cases stay visible.
  const lowest = Math.min(1, ...scatterPoints.map((p) => p.y));
  const scatter = scatterPlot(scatterPoints, {
    title: 'Dice against tumour volume',
    xLabel: 'truth volume (mL)',
    yLabel: 'Dice',
    yRange: [Math.max(0, Math.floor(lowest * 10 - 1) / 10), 1],
  });

  const pictureHtml = labels
    .map((label) => {
      const own = pictures.filter((p) => p.label === label);
      if (own.length === 0) return '';
      const figures = own.map(
        (p) =>
          `<figure><img alt="${escapeHtml(`${p.rank} case ${p.case}`)}" src="data:image/png;base64,${p.pngBase64}" width="${p.width}" height="${p.height}"><figcaption><b>${p.rank}</b> ${escapeHtml(p.case)}: Dice ${formatNumber(p.dice, 4)}, slice ${p.slice}</figcaption></figure>`,
      );
      return `<h3>${escapeHtml(`${label} ${names[String(label)] ?? ''}`)}</h3><div class="pictures">${figures.join('')}</div>`;
    })
    .join('');

  const notes = reportNotes(result);
  const conv = conventions(s);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>medseg evaluation report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:24px;color:#222;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:14px;margin:14px 0 6px}
table{border-collapse:collapse;font-size:12px;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}caption{text-align:left;font-weight:600;padding:4px 0}
.unit{color:#777;font-weight:normal}.plots{display:flex;flex-wrap:wrap;gap:8px}.pictures{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0}figure img{image-rendering:pixelated;border:1px solid #ccc;display:block}figcaption{font-size:12px;margin-top:3px}
.legend span{display:inline-block;width:12px;height:3px;margin:0 4px 3px 10px;vertical-align:middle}
.settings td{text-align:left}.notes li,.conv li{font-size:12px;margin:2px 0}.cases tbody tr:nth-child(even){background:#fafafa}
</style></head><body>
<h1>Segmentation evaluation</h1>
<p>${caseCount} cases, ${labels.length} class${labels.length === 1 ? '' : 'es'} · empty rule <b>${escapeHtml(s.empty)}</b> (applied to ${result.aggregate.emptyCounts.both} case-class pairs) · surface Dice at ${s.toleranceMm} mm · HD${s.hdPercentile} · bootstrap ${s.resamples} resamples, seed ${s.seed}</p>
<table class="settings"><tr><th>prediction</th><td>${escapeHtml(s.pred)}</td></tr><tr><th>truth</th><td>${escapeHtml(s.truth)} (${escapeHtml(s.truthKind)})</td></tr>${s.images ? `<tr><th>images</th><td>${escapeHtml(s.images)}</td></tr>` : ''}${s.compare ? `<tr><th>compared with</th><td>${escapeHtml(s.compare)}</td></tr>` : ''}${result.inputs.curves.map((file) => `<tr><th>training curves</th><td><a href="${escapeHtml(pathToFileURL(file).href)}">${escapeHtml(file)}</a></td></tr>`).join('')}</table>
<h2>Summary per case</h2>
${summaryTable(result.aggregate.perCase, names, 'Statistics over cases')}
${summaryTable(result.aggregate.perPatient, names, 'Statistics over patients (mean of each patient\u2019s cases)')}
${result.aggregate.perSlice ? summaryTable(result.aggregate.perSlice, names, 'Statistics over slices (2D metrics on slices holding the class)') : ''}
${pairedTable(result)}
<h2>Distributions</h2>
<div class="plots">${plots.join('')}</div>
<h2>Dice against tumour volume</h2>
${scatter}
<h2>Best, median and worst cases (by Dice)</h2>
<p class="legend">Outlines:<span style="background:rgb(40,220,60)"></span>truth<span style="background:rgb(255,50,50)"></span>prediction<span style="background:rgb(255,220,0)"></span>both</p>
${pictureHtml || '<p>No case with a finite Dice.</p>'}
<h2>All cases</h2>
${casesTable(result.cases, names)}
<h2>Notes</h2><ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>
<h2>Conventions</h2><ul class="conv">${Object.entries(conv).map(([k, v]) => `<li><b>${escapeHtml(k)}</b>: ${escapeHtml(v)}</li>`).join('')}</ul>
</body></html>
`;
}
