import type { EvalResult } from '../runEvaluation.js';
import { formatNumber } from './escapeHtml.js';

/** The few lines `medseg eval` prints: per class the headline metrics, extremes, and the comparison if any. */
export function textSummary(result: EvalResult): string {
  const { settings: s, aggregate: a } = result;
  const caseCount = new Set(result.cases.map((r) => r.case)).size;
  const lines = [
    `medseg eval: ${caseCount} case${caseCount === 1 ? '' : 's'}, ${s.labels.length} class${s.labels.length === 1 ? '' : 'es'}; empty rule '${s.empty}' (both empty: ${a.emptyCounts.both}, prediction empty: ${a.emptyCounts.truthOnly}, truth empty: ${a.emptyCounts.predOnly}); surface Dice at ${s.toleranceMm} mm`,
  ];
  for (const label of s.labels) {
    const stats = a.perCase[String(label)];
    if (!stats) continue;
    const f = (name: 'dice' | 'hd95' | 'assd' | 'surfaceDice', unit = '') => {
      const m = stats[name]!;
      return `${formatNumber(m.mean)}${unit} ± ${formatNumber(m.std, 2)}${m.nan + m.infinite ? ` (${m.nan + m.infinite} excl.)` : ''}`;
    };
    const d = stats.dice!;
    lines.push(
      `  ${label} ${s.classNames[String(label)]}: Dice ${f('dice')} [95% CI ${formatNumber(d.ci95[0])}–${formatNumber(d.ci95[1])}], median ${formatNumber(d.median)}; HD95 ${f('hd95', ' mm')}; ASSD ${f('assd', ' mm')}; surface Dice ${f('surfaceDice')}`,
    );
    const ranked = result.cases.filter((r) => r.label === label && Number.isFinite(r.dice)).sort((x, y) => x.dice - y.dice);
    if (ranked.length > 1) lines.push(`    worst ${ranked[0]!.case} (Dice ${formatNumber(ranked[0]!.dice)}), best ${ranked[ranked.length - 1]!.case} (Dice ${formatNumber(ranked[ranked.length - 1]!.dice)})`);
    const paired = result.comparison?.paired[String(label)]?.dice;
    if (paired) {
      lines.push(
        `    vs ${s.compare}: Dice difference ${formatNumber(paired.meanDiff)} [95% CI ${formatNumber(paired.ci95[0])}–${formatNumber(paired.ci95[1])}], Wilcoxon p = ${paired.wilcoxon ? formatNumber(paired.wilcoxon.pValue) : '–'} (n = ${paired.n})`,
      );
    }
  }
  return lines.join('\n');
}
