/**
 * What a metric is when prediction and truth are both empty for a class (the tumour is absent and the model
 * agrees). `nan`: undefined, excluded from means and counted (the nnU-Net and MONAI default). `one`: a perfect
 * score (Dice, IoU, precision, recall and surface Dice 1; distances 0).
 *
 * When only one of the two is empty, the rule does not apply: Dice, IoU and surface Dice are 0, the surface
 * distances are infinite (no surface to measure to), and precision (no prediction) or recall (no truth) is
 * undefined (NaN).
 */
export type EmptyRule = 'nan' | 'one';

export const emptyRules: readonly EmptyRule[] = ['nan', 'one'];

export function isEmptyRule(value: unknown): value is EmptyRule {
  return value === 'nan' || value === 'one';
}
