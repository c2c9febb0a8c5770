import type { PlansRecord } from './plansRecord.js';
import { sameNormalization } from './sameNormalization.js';

/** One ingest-time setting of a plan, against what the dataset holds (train cannot change these). */
export interface PlanIngestCheck {
  readonly setting: 'spacing' | 'normalize';
  readonly planned: string;
  readonly dataset: string;
  readonly matches: boolean;
  /** Whether the mismatch is worth a warning (else it is only recorded). */
  readonly warn: boolean;
  /** What to do about a mismatch (or that there is nothing to do). */
  readonly message: string;
}

const mm = (x: number) => Number(x.toFixed(4));

/**
 * Checks the plan's ingest-time settings (in-plane spacing, normalisation) against the dataset as fingerprinted
 * (pure; the plan must be current). Spacing matches when every stored slice is within 1% of the planned spacing,
 * and warns when the stored median is not (the dataset was ingested at another `--spacing`): a spread around the
 * planned median is what the planner's median rule expects of native spacings. Normalisation matches when every
 * case was normalised as planned (`auto` accepts whatever ingest chose), and warns when not.
 */
export function planIngestChecks(record: PlansRecord): PlanIngestCheck[] {
  const { plan, fingerprint } = record;
  const spacing = plan.ingest.spacing.value;
  const stored = fingerprint.stored.spacingX;
  const within = (x: number) => Math.abs(x - spacing) <= 0.01 * spacing;
  const spacingMatches = within(stored.min) && within(stored.max);
  const medianMatches = within(stored.median);
  const storedSpacing = stored.min === stored.max ? `${mm(stored.min)} mm` : `${mm(stored.min)}-${mm(stored.max)} mm (median ${mm(stored.median)})`;
  const normalize = plan.ingest.normalize.value;
  const norms = fingerprint.stored.normalization;
  const normalizeMatches = normalize === 'auto' || (norms.length === 1 && sameNormalization(norms[0]!, normalize));
  return [
    {
      setting: 'spacing',
      planned: `${spacing} mm`,
      dataset: storedSpacing,
      matches: spacingMatches,
      warn: !medianMatches,
      message: spacingMatches
        ? `in-plane spacing ${spacing} mm, as planned`
        : medianMatches
          ? `the plan's in-plane spacing ${spacing} mm is the dataset's median; its slices range ${storedSpacing} and train resizes each whole to the input size`
          : `the plan's in-plane spacing is ${spacing} mm but the dataset was ingested at ${storedSpacing}; train resizes each slice whole to the input size, so it cannot apply it (ingest again with --spacing ${spacing} to follow the plan)`,
    },
    {
      setting: 'normalize',
      planned: normalize,
      dataset: norms.join(', '),
      matches: normalizeMatches,
      warn: !normalizeMatches,
      message: normalizeMatches
        ? `normalisation ${normalize}, as planned`
        : `the plan's normalisation is ${normalize} but the dataset was ingested with ${norms.join(', ')}; train cannot apply it (ingest again with --normalize ${normalize} to follow the plan)`,
    },
  ];
}
