import type { Vec3 } from '@medseg/data';
import { diceScore, nanMean } from './dice.js';
import { ModelOptionsError } from './errors.js';
import { postprocessProbabilities } from './predict-volume.js';

/**
 * One way of turning a model's output into labels: flip test-time augmentation (the mean over the plain and the
 * three mirrored slices), the foreground threshold (one sigmoid class) and the largest-component cleanup.
 */
export interface Postprocessing {
  readonly threshold: number;
  readonly largestComponent: boolean;
  /** Absent: false (runs recorded before TTA was a candidate). */
  readonly tta?: boolean;
}

/** What predict did before post-processing was chosen on validation, and what it keeps unless the evidence says otherwise. */
export const defaultPostprocessing: Postprocessing = { threshold: 0.5, largestComponent: false };

/**
 * The grid reaches down to 0.1 because the plan-driven STS runs kept choosing its lowest threshold: 0.3 when the
 * grid started there (the default run and a cross-validation fold model), then 0.2 when it started at 0.2 (the
 * default run, docs/results.md); an optimum on the edge of a grid may lie past it. They choose 0.1 too; lower
 * thresholds are untried.
 */
export const postprocessingThresholds: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];

/** Every threshold with the largest 3D connected component of each label off and on. */
export const postprocessingCandidates: readonly Postprocessing[] = postprocessingThresholds.flatMap((threshold) => [
  { threshold, largestComponent: false },
  { threshold, largestComponent: true },
]);

/** The same candidates on the flip-TTA probabilities. */
export const ttaPostprocessingCandidates: readonly Postprocessing[] = postprocessingCandidates.map((c) => ({ ...c, tta: true }));

/** One validation case's Dice under every candidate (same order), with the patient it belongs to. */
export interface CaseCandidateDice {
  readonly caseId: string;
  readonly patientId: string;
  /** Mean over foreground classes of the case's 3D Dice; NaN (null in JSON) when truth and prediction are both empty. */
  readonly dice: readonly number[];
}

/** One row of the table: a candidate and its mean per-patient Dice (NaN when no patient has a finite Dice). */
export interface CandidateScore extends Postprocessing {
  readonly meanDice: number;
}

export interface PostprocessingChoice {
  readonly chosen: Postprocessing;
  readonly table: readonly CandidateScore[];
  /** Patients with a finite Dice under the default, the patients the means are over. */
  readonly patients: number;
  readonly cases: number;
  /** Each patient's Dice under every candidate (the mean of its cases), in the table's order. */
  readonly perPatient: readonly { readonly patientId: string; readonly dice: readonly number[] }[];
  readonly reason: string;
}

/**
 * A case's Dice under every candidate: the probabilities (channels last, on the truth's grid) are thresholded
 * and cleaned as predict does (postprocessProbabilities) and scored with the 3D Dice of each foreground label,
 * averaged over labels with both-empty labels left out (diceScore's NaN rule, as eval's default).
 */
export function scorePostprocessingCandidates(
  probabilities: Float32Array,
  channels: number,
  truth: Uint8Array,
  shape: Vec3,
  candidates: readonly Postprocessing[] = postprocessingCandidates,
): number[] {
  if (probabilities.length !== truth.length * channels) {
    throw new ModelOptionsError(`scorePostprocessingCandidates: ${probabilities.length} probabilities for ${truth.length} voxels of ${channels} channel(s)`);
  }
  const labels = Math.max(1, channels - 1);
  return candidates.map((candidate) => {
    const prediction = postprocessProbabilities(probabilities, channels, shape, candidate);
    const per: number[] = [];
    for (let label = 1; label <= labels; label++) per.push(diceScore(truth, prediction, label));
    return nanMean(per);
  });
}

const same = (a: Postprocessing, b: Postprocessing) => a.threshold === b.threshold && a.largestComponent === b.largestComponent && (a.tta ?? false) === (b.tta ?? false);
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
/** A NaN mean never wins a comparison. */
const orLowest = (x: number) => (Number.isFinite(x) ? x : Number.NEGATIVE_INFINITY);

/**
 * nnU-Net's rule over validation Dice, per patient: each case's candidates' Dice are averaged per patient, then
 * over patients. For each threshold the largest component is kept only when it raises the mean (>, as nnU-Net
 * v2's determine_postprocessing, which keeps a cleanup "defensively" only on strict improvement); the threshold
 * moves from the default's only when another raises the mean strictly (ties go to the threshold nearest the
 * default, then the lower). Without a finite mean at the default, the default stays.
 *
 * When the candidates include flip-TTA ones, TTA is on and the choice is made among them alone: nnU-Net always
 * mirrors a model trained with mirroring, and choosing TTA on the same few validation patients as the threshold
 * and cleanup let a plain candidate with the cleanup win by noise (docs/results.md: the default STS run that
 * dropped TTA that way lost a test patient to the cleanup). Plain candidates beside them (records written before)
 * are reported in the table but not chosen.
 */
export function choosePostprocessing(scores: readonly CaseCandidateDice[], candidates: readonly Postprocessing[] = postprocessingCandidates): PostprocessingChoice {
  for (const s of scores) {
    if (s.dice.length !== candidates.length) throw new ModelOptionsError(`choosePostprocessing: case ${s.caseId} has ${s.dice.length} scores for ${candidates.length} candidates`);
  }
  const tta = candidates.some((c) => c.tta === true);
  const flagged = (p: Postprocessing): Postprocessing => (tta ? { ...p, tta: true } : p);
  const at = (p: Postprocessing) => candidates.findIndex((c) => same(c, p));
  const baseline = flagged(defaultPostprocessing);
  const base = at(baseline);
  if (base < 0) throw new ModelOptionsError(`choosePostprocessing: the candidates must include the default (threshold 0.5, no largest component${tta ? ', flip TTA' : ''})`);
  const byPatient = new Map<string, CaseCandidateDice[]>();
  for (const s of scores) byPatient.set(s.patientId, [...(byPatient.get(s.patientId) ?? []), s]);
  const perPatient = [...byPatient.entries()].map(([patientId, cases]) => ({ patientId, dice: candidates.map((_, i) => nanMean(cases.map((c) => c.dice[i]!))) }));
  const table: CandidateScore[] = candidates.map((c, i) => ({ ...c, meanDice: nanMean(perPatient.map((p) => p.dice[i]!)) }));
  const patients = perPatient.filter((p) => Number.isFinite(p.dice[base]!)).length;
  const mean = (p: Postprocessing) => table[at(p)]?.meanDice ?? Number.NaN;
  const result = (chosen: Postprocessing, reason: string): PostprocessingChoice => ({ chosen, table, patients, cases: scores.length, perPatient, reason });
  const mode = tta ? 'with flip TTA (on: the model was trained with flips on both axes, as nnU-Net mirrors)' : 'without TTA';
  if (!Number.isFinite(table[base]!.meanDice)) return result(baseline, `no validation patient has a finite Dice: kept the default threshold 0.5, every component, ${mode}`);

  // The largest component at each threshold, where the candidates hold both.
  const withComponent = (threshold: number): Postprocessing => {
    const on = flagged({ threshold, largestComponent: true });
    const off = flagged({ threshold, largestComponent: false });
    if (at(on) < 0) return off;
    if (at(off) < 0) return on;
    return orLowest(mean(on)) > orLowest(mean(off)) ? on : off;
  };
  const thresholds = [...new Set(candidates.filter((c) => (c.tta ?? false) === tta).map((c) => c.threshold))].sort((a, b) => Math.abs(a - 0.5) - Math.abs(b - 0.5) || a - b);
  let chosen = withComponent(defaultPostprocessing.threshold);
  for (const threshold of thresholds) {
    const candidate = withComponent(threshold);
    if (orLowest(mean(candidate)) > orLowest(mean(chosen))) chosen = candidate;
  }
  const component = (lc: boolean) => f3(mean({ ...chosen, largestComponent: lc }));
  const parts = [
    `mean per-patient Dice over ${patients} validation patient(s) ${mode}: default (threshold 0.5, every component) ${f3(table[base]!.meanDice)}`,
    chosen.threshold === defaultPostprocessing.threshold ? 'no other threshold raises it' : `threshold ${chosen.threshold} raises it to ${f3(mean(chosen))}`,
    `keeping the largest component ${chosen.largestComponent ? 'raises' : 'does not raise'} it at threshold ${chosen.threshold} (${component(true)} with, ${component(false)} without)`,
  ];
  return result(chosen, parts.join('; '));
}
