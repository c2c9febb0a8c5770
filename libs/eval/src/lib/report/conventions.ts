import type { EvalSettings } from '../runEvaluation.js';

/** The conventions behind every number, written into metrics.json and report.html. */
export function conventions(settings: Pick<EvalSettings, 'empty' | 'toleranceMm' | 'hdPercentile' | 'resamples' | 'seed'>): Record<string, string> {
  return {
    surfaces:
      'Surface voxels are the mask minus its binary erosion by the face-connected structuring element (6-neighbourhood in 3D, 4 in 2D; a single-slice image is 2D), with everything outside the image as background (MONAI get_mask_edges, scipy border_value=0).',
    distances:
      'Directed surface distances come from an exact Euclidean distance transform (Felzenszwalb-Huttenlocher) of the other surface with the voxel spacing, in millimetres (MONAI get_surface_distance, scipy distance_transform_edt with sampling).',
    hd: 'HD: the largest directed surface distance either way.',
    hd95: `HD${settings.hdPercentile}: the larger of the two directed ${settings.hdPercentile}th percentiles, linear interpolation as numpy's default (MONAI percentile=${settings.hdPercentile}).`,
    assd: 'ASSD: the mean of both directed distance sets pooled (MONAI average surface distance, symmetric=True).',
    surface_dice: `Normalised surface Dice at ${settings.toleranceMm} mm: the fraction of surface voxels of both masks within the tolerance of the other surface (MONAI compute_surface_dice without sub-voxels).`,
    overlap:
      'Dice 2TP/(2TP+FP+FN), IoU TP/(TP+FP+FN), precision TP/(TP+FP), recall TP/(TP+FN), specificity TN/(TN+FP), over the voxels of the whole image.',
    volume: 'volume_diff = |V_pred - V_truth| in mL; rel_volume_diff = (V_pred - V_truth) / V_truth (signed).',
    empty:
      settings.empty === 'nan'
        ? "Empty rule 'nan': when truth and prediction are both empty for a class, every overlap and distance metric is NaN (written null) and left out of the statistics (nnU-Net, MONAI)."
        : "Empty rule 'one': when truth and prediction are both empty for a class, Dice, IoU, precision, recall and surface Dice are 1 and the distances 0.",
    one_empty:
      'When exactly one of truth and prediction is empty: Dice, IoU and surface Dice 0; HD, HD95 and ASSD infinite (written null); precision undefined without a prediction, recall undefined without truth.',
    statistics: `Statistics use finite values only (NaN and infinities are counted as nan and infinite); std has n-1 in the denominator; quartiles and median with numpy's linear interpolation; ci95 is a percentile bootstrap of the mean (${settings.resamples} resamples, seed ${settings.seed}).`,
    per_patient: 'Per-patient view: each patient is the mean of the finite values of its cases, then the same statistics over patients.',
    per_slice:
      'Per-slice view: every metric in 2D on each slice where truth or prediction holds the class (slices where both are empty are left out); its CI resamples cases, not slices, since the slices of one case are not independent. The comparison run has no per-slice view.',
    paired:
      'Paired comparison: this run minus the comparison run over cases where both values are finite; mean difference with a percentile bootstrap CI (cases resampled in pairs), and the two-sided Wilcoxon signed-rank test as scipy.stats.wilcoxon defaults (zeros dropped, average ranks for ties; exact for up to 50 pairs without zeros or ties, else normal approximation with tie correction).',
  };
}
