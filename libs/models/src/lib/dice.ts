/**
 * Dice of one label between two label maps of the same length: 2|A∩B| / (|A| + |B|). NaN when both are empty,
 * so that callers exclude such slices or cases (the nnU-Net and MONAI convention) instead of counting them as 1.
 */
export function diceScore(truth: ArrayLike<number>, prediction: ArrayLike<number>, label = 1, offset = 0, length = truth.length): number {
  let both = 0;
  let inTruth = 0;
  let inPrediction = 0;
  for (let i = offset; i < offset + length; i++) {
    const t = truth[i] === label;
    const p = prediction[i] === label;
    if (t) inTruth++;
    if (p) inPrediction++;
    if (t && p) both++;
  }
  return inTruth + inPrediction === 0 ? Number.NaN : (2 * both) / (inTruth + inPrediction);
}

/** Mean of the finite values; NaN when there are none. */
export function nanMean(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (Number.isFinite(value)) {
      sum += value;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}
