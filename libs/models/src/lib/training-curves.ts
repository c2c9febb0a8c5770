import type { EpochMetrics } from './train-settings.js';

const width = 640;
const height = 320;
const margin = { left: 56, right: 56, top: 28, bottom: 40 };
const plotW = width - margin.left - margin.right;
const plotH = height - margin.top - margin.bottom;

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

/** x of epoch `e` (1-based) when `epochs` are shown. */
export function curveX(epoch: number, epochs: number): number {
  return margin.left + (epochs <= 1 ? plotW / 2 : ((epoch - 1) / (epochs - 1)) * plotW);
}

/** y of `value` on an axis from `low` (bottom) to `high` (top). */
export function curveY(value: number, low: number, high: number): number {
  return margin.top + plotH * (1 - (high === low ? 0.5 : (value - low) / (high - low)));
}

/**
 * The training curves of a run as a self-contained SVG: training loss (left axis, from 0 to its maximum) and
 * validation Dice per patient (right axis, 0 to 1) per epoch, the best epoch marked by a vertical line. Epochs
 * whose Dice is not a number are left out of the Dice line.
 */
export function trainingCurvesSvg(history: readonly EpochMetrics[], best: { epoch: number; valDicePatient: number } | null): string {
  const n = Math.max(1, history.length);
  const maxLoss = Math.max(1e-12, ...history.map((h) => (Number.isFinite(h.loss) ? h.loss : 0)));
  const points = (values: [number, number][]) => values.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ');
  const loss = points(history.filter((h) => Number.isFinite(h.loss)).map((h) => [curveX(h.epoch, n), curveY(h.loss, 0, maxLoss)]));
  const dice = points(history.filter((h) => Number.isFinite(h.valDicePatient)).map((h) => [curveX(h.epoch, n), curveY(h.valDicePatient, 0, 1)]));
  const bottom = margin.top + plotH;
  const right = margin.left + plotW;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>medseg training curves</title>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    ...ticks.map((t) => {
      const y = fmt(curveY(t, 0, 1));
      return `<line x1="${margin.left}" y1="${y}" x2="${right}" y2="${y}" stroke="#eee"/><text x="${margin.left - 6}" y="${y}" text-anchor="end" dy="4" fill="#1f77b4">${(t * maxLoss).toPrecision(3)}</text><text x="${right + 6}" y="${y}" dy="4" fill="#d62728">${t.toFixed(2)}</text>`;
    }),
    `<text x="${margin.left}" y="${margin.top - 10}" fill="#1f77b4">training loss</text>`,
    `<text x="${right}" y="${margin.top - 10}" text-anchor="end" fill="#d62728">validation Dice per patient</text>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 8}" text-anchor="middle">epoch (1–${history.length})</text>`,
  ];
  if (best !== null) {
    const x = fmt(curveX(best.epoch, n));
    parts.push(
      `<g class="best"><line x1="${x}" y1="${margin.top}" x2="${x}" y2="${bottom}" stroke="#2ca02c" stroke-dasharray="4 3"/>` +
        `<circle cx="${x}" cy="${fmt(curveY(best.valDicePatient, 0, 1))}" r="4" fill="#2ca02c"/>` +
        `<text x="${x}" y="${bottom + 14}" text-anchor="middle" fill="#2ca02c">best: epoch ${best.epoch}, Dice ${best.valDicePatient.toFixed(3)}</text></g>`,
    );
  }
  parts.push(`<polyline class="loss" fill="none" stroke="#1f77b4" stroke-width="2" points="${loss}"/>`);
  parts.push(`<polyline class="dice" fill="none" stroke="#d62728" stroke-width="2" points="${dice}"/>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
