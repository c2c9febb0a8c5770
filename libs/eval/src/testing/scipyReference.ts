import { sharedPath } from '@medseg/data/testing';
import { readFloat64, readUint8, runPython } from './python.js';

/**
 * Independent reference metrics from numpy/scipy on real masks (the IBSI soft-tissue-sarcoma set) and perturbed
 * copies. Surfaces: `mask ^ binary_erosion(mask, generate_binary_structure(ndim, 1))`; distances:
 * `distance_transform_edt(~surface, sampling=spacing)`; HD95 with `np.percentile`; everything on the whole
 * volume (no cropping), so it also checks our bounding-box shortcut.
 */
export interface ReferenceSpec {
  readonly name: string;
  /** STS case folder, e.g. STS_001. */
  readonly sts: string;
  /** Applied to the truth to make the prediction. */
  readonly perturb: 'shift' | 'erode' | 'dilate' | 'empty' | 'same';
  readonly shift?: readonly [number, number, number];
  /** Override the file's spacing (anisotropy tests). */
  readonly spacing?: readonly [number, number, number];
  /** Keep only the slice through the middle of the tumour, as a 2D image. */
  readonly slice2d?: boolean;
  /** Crop columns so that the tumour touches the image border. */
  readonly cropToBorder?: boolean;
  /** Split the tumour into labels 1 and 2 at its middle column. */
  readonly twoLabels?: boolean;
  /** Blank the truth too (both empty). */
  readonly blankTruth?: boolean;
  readonly tolerances: readonly number[];
}

export interface ReferenceMetrics {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  dice: number | null;
  iou: number | null;
  precision: number | null;
  recall: number | null;
  specificity: number | null;
  volume_diff: number;
  rel_volume_diff: number | null;
  hd: number | null;
  hd95: number | null;
  assd: number | null;
  nsd: (number | null)[];
  predToTruth: Float64Array;
  truthToPred: Float64Array;
}

export interface ReferenceCase {
  readonly spec: ReferenceSpec;
  readonly shape: [number, number, number];
  readonly spacing: [number, number, number];
  readonly pred: Uint8Array;
  readonly truth: Uint8Array;
  readonly labels: Map<number, ReferenceMetrics>;
}

const script = String.raw`
import os
import numpy as np, nibabel as nib
from scipy.ndimage import binary_erosion, binary_dilation, distance_transform_edt, generate_binary_structure

def shifted(a, s):
    out = np.zeros_like(a)
    src = tuple(slice(max(0, -k), a.shape[i] - max(0, k)) for i, k in enumerate(s))
    dst = tuple(slice(max(0, k), a.shape[i] - max(0, -k)) for i, k in enumerate(s))
    out[dst] = a[src]
    return out

def nan_none(v):
    v = float(v)
    return None if not np.isfinite(v) else v

def metrics(pred, truth, spacing, tols, prefix, voxel_ml):
    tp = int(np.sum(pred & truth)); fp = int(np.sum(pred & ~truth)); fn = int(np.sum(~pred & truth)); tn = int(pred.size - tp - fp - fn)
    div = lambda a, b: a / b if b else float('nan')
    st = generate_binary_structure(pred.ndim, 1)
    ps = pred ^ binary_erosion(pred, st)
    ts = truth ^ binary_erosion(truth, st)
    res = dict(tp=tp, fp=fp, fn=fn, tn=tn, dice=nan_none(div(2 * tp, 2 * tp + fp + fn)), iou=nan_none(div(tp, tp + fp + fn)),
               precision=nan_none(div(tp, tp + fp)), recall=nan_none(div(tp, tp + fn)), specificity=nan_none(div(tn, tn + fp)),
               volume_diff=abs(int(pred.sum()) - int(truth.sum())) * voxel_ml, rel_volume_diff=nan_none(div(int(pred.sum()) - int(truth.sum()), int(truth.sum()))))
    if ps.any() and ts.any():
        # Transposed so that the distances come out in x-fastest voxel order, as ours do.
        d_pt = distance_transform_edt(~ts, sampling=spacing).T[ps.T]
        d_tp = distance_transform_edt(~ps, sampling=spacing).T[ts.T]
        both = np.concatenate([d_pt, d_tp])
        res.update(hd=float(max(d_pt.max(), d_tp.max())), hd95=float(max(np.percentile(d_pt, 95), np.percentile(d_tp, 95))),
                   assd=float(both.mean()), nsd=[float((np.sum(d_pt <= t) + np.sum(d_tp <= t)) / both.size) for t in tols])
    else:
        d_pt = np.zeros(0); d_tp = np.zeros(0)
        res.update(hd=None, hd95=None, assd=None, nsd=[None for t in tols])
    d_pt.astype(np.float64).tofile(prefix + '.p2t'); d_tp.astype(np.float64).tofile(prefix + '.t2p')
    res['files'] = [prefix + '.p2t', prefix + '.t2p']
    return res

out = []
for k, s in enumerate(inp['specs']):
    img = nib.load(os.path.join(inp['root'], s['sts'], 'MR_T1_mask.nii.gz'))
    truth = (np.asanyarray(img.dataobj) > 0).astype(np.uint8)
    spacing = [float(z) for z in img.header.get_zooms()[:3]]
    if s.get('spacing'): spacing = list(s['spacing'])
    if s.get('cropToBorder'):
        xs = np.nonzero(truth.any(axis=(1, 2)))[0]
        truth = truth[(xs[0] + xs[-1]) // 2:, :, :]
    if s.get('twoLabels'):
        xs = np.nonzero(truth.any(axis=(1, 2)))[0]
        mid = (xs[0] + xs[-1]) // 2
        truth[mid:, :, :] *= 2
    if s.get('slice2d'):
        zs = np.nonzero(truth.any(axis=(0, 1)))[0]
        truth = truth[:, :, (zs[0] + zs[-1]) // 2][:, :, None]
    st = generate_binary_structure(3, 1)
    p = s['perturb']
    if p == 'shift': pred = shifted(truth, s['shift'])
    elif p == 'erode': pred = np.where(binary_erosion(truth > 0, st), truth, 0).astype(np.uint8)
    elif p == 'dilate': pred = binary_dilation(truth > 0, st, iterations=2).astype(np.uint8)
    elif p == 'empty': pred = np.zeros_like(truth)
    else: pred = truth.copy()
    if s.get('blankTruth'): truth = np.zeros_like(truth)
    prefix = os.path.join(inp['tmp'], 'case%d' % k)
    np.asfortranarray(pred).ravel(order='F').tofile(prefix + '.pred')
    np.asfortranarray(truth).ravel(order='F').tofile(prefix + '.truth')
    shape = list(truth.shape)
    sampling = spacing[:2] if s.get('slice2d') else spacing
    labels = {}
    for label in sorted(set(np.unique(truth).tolist()) | set(np.unique(pred).tolist()) | {1}):
        if label == 0: continue
        pb, tb = pred == label, truth == label
        if s.get('slice2d'): pb, tb = pb[:, :, 0], tb[:, :, 0]
        labels[str(label)] = metrics(pb, tb, sampling, s['tolerances'], prefix + '-l%d' % label, float(np.prod(spacing)) / 1000)
    out.append(dict(shape=shape, spacing=spacing, pred=prefix + '.pred', truth=prefix + '.truth', labels=labels))
print(json.dumps(out))
`;

export function referenceCases(specs: readonly ReferenceSpec[], tmp: string): ReferenceCase[] {
  interface Raw {
    shape: [number, number, number];
    spacing: [number, number, number];
    pred: string;
    truth: string;
    labels: Record<string, Omit<ReferenceMetrics, 'predToTruth' | 'truthToPred'> & { files: [string, string] }>;
  }
  const raw = runPython<Raw[]>(script, { specs, tmp, root: sharedPath('data/sts/nifti') });
  return raw.map((r, k) => ({
    spec: specs[k]!,
    shape: r.shape,
    spacing: r.spacing,
    pred: readUint8(r.pred),
    truth: readUint8(r.truth),
    labels: new Map(
      Object.entries(r.labels).map(([label, m]) => {
        const { files, ...rest } = m;
        return [Number(label), { ...rest, predToTruth: readFloat64(files[0]), truthToPred: readFloat64(files[1]) }];
      }),
    ),
  }));
}
