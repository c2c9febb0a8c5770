import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import { readDicomSeries } from './readDicomSeries.js';
import { scanDicomTree } from './scanDicomTree.js';

function python<T>(code: string, ...args: string[]): T {
  const result = spawnSync(debianPython, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as T;
}

describe('scanDicomTree', () => {
  it('groups a tree by SeriesInstanceUID as pydicom sees it, listing non-image objects and skipping the rest', async () => {
    const root = sharedPath('data/dicom/pydicom/test_files/dicomdirtests');
    const expected = python<{ series: Record<string, number>; others: number; skipped: number }>(
      `
import json, os, sys, collections, pydicom
series, others, skipped = collections.Counter(), 0, 0
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f == "DICOMDIR-nooffset":  # medseg's expected failure: dicom-parser rejects its bad offsets
            skipped += 1
            continue
        try:
            ds = pydicom.dcmread(os.path.join(d, f))
        except Exception:
            skipped += 1
            continue
        if "PixelData" in ds:
            series[str(ds.SeriesInstanceUID)] += 1
        else:
            others += 1
print(json.dumps({"series": series, "others": others, "skipped": skipped}))`,
      root,
    );
    const scan = await scanDicomTree(root);
    expect(Object.fromEntries(scan.series.map((s) => [s.seriesInstanceUid, s.files.length]))).toEqual(expected.series);
    expect(scan.others).toHaveLength(expected.others);
    expect(scan.skipped).toHaveLength(expected.skipped);
    for (const s of scan.skipped) expect(s.reason).toMatch(s.path.endsWith('DICOMDIR-nooffset') ? /malformed/ : /not a DICOM file/);
  });
});

describe('readDicomSeries', () => {
  it('stacks an enhanced multi-frame MR by its per-frame functional groups, as pydicom computes them', async () => {
    const path = sharedPath('data/dicom/dcm_qa_enh/In/Siemens/XA10/6_1.dcm');
    const expected = python<{ origin: number[]; step: number[]; values: number[]; shape: number[] }>(
      `
import json, sys, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
frames = ds.PerFrameFunctionalGroupsSequence
shared = ds.SharedFunctionalGroupsSequence[0]
def item(i, name):
    return getattr(frames[i], name, None) or getattr(shared, name)
iop = np.array(item(0, "PlaneOrientationSequence")[0].ImageOrientationPatient, float)
normal = np.cross(iop[:3], iop[3:])
pos = [np.array(item(i, "PlanePositionSequence")[0].ImagePositionPatient, float) for i in range(len(frames))]
order = sorted(range(len(frames)), key=lambda i: float(np.dot(pos[i], normal)))
pixels = ds.pixel_array
def rescale(i):
    t = item(i, "PixelValueTransformationSequence")[0]
    return float(t.RescaleSlope), float(t.RescaleIntercept)
vol = np.stack([pixels[i] * rescale(i)[0] + rescale(i)[1] for i in order])
print(json.dumps({"origin": pos[order[0]].tolist(), "step": ((pos[order[-1]] - pos[order[0]]) / (len(order) - 1)).tolist(),
                  "values": vol.ravel().tolist(), "shape": [ds.Columns, ds.Rows, len(order)]}))`,
      path,
    );
    const scan = await scanDicomTree(path);
    expect(scan.series).toHaveLength(1);
    const result = await readDicomSeries(scan.series[0]!);
    const { volume } = result;
    expect([...volume.shape]).toEqual(expected.shape);
    volume.origin.forEach((v, i) => expect(v).toBeCloseTo(expected.origin[i]!, 6));
    volume.direction[2].forEach((v, i) => expect(v * volume.spacing[2]).toBeCloseTo(expected.step[i]!, 4));
    let max = 0;
    for (let i = 0; i < expected.values.length; i++) max = Math.max(max, Math.abs(volume.data[i]! - expected.values[i]!));
    // Float32 storage of rescaled values: relative precision 2^-24 of values up to a few thousand.
    expect(max).toBeLessThan(1e-3);
    expect(result.sopInstanceUids).toHaveLength(expected.shape[2]!);
    expect(new Set(result.sopInstanceUids).size).toBe(1);
  });

  it('keeps one frame per position of a Philips enhanced MR that stores two per position, and says so', async () => {
    const path = sharedPath('data/dicom/dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm');
    const unique = python<number>(
      `
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(len({tuple(round(float(v), 3) for v in f.PlanePositionSequence[0].ImagePositionPatient) for f in ds.PerFrameFunctionalGroupsSequence}))`,
      path,
    );
    const result = await readDicomSeries((await scanDicomTree(path)).series[0]!);
    expect(result.volume.shape[2]).toBe(unique);
    expect(result.problems.map((p) => p.kind)).toContain('duplicate-position');
  });

  it('gives CT in Hounsfield units as 16-bit integers', async () => {
    const path = sharedPath('data/dicom/pydicom/test_files/CT_small.dcm');
    const expected = python<{ min: number; max: number }>(
      `
import json, sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
print(json.dumps({"min": float(hu.min()), "max": float(hu.max())}))`,
      path,
    );
    const result = await readDicomSeries((await scanDicomTree(path)).series[0]!);
    expect(result.volume.data).toBeInstanceOf(Int16Array);
    expect(Math.min(...result.volume.data)).toBe(expected.min);
    expect(Math.max(...result.volume.data)).toBe(expected.max);
    expect(result.modality).toBe('CT');
  });
});
