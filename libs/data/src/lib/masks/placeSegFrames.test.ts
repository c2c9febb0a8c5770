import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import type { Vec3 } from '../volume.js';
import { MaskError } from './maskErrors.js';
import { type SegTarget, placeSegFrames } from './placeSegFrames.js';
import { readDicomSeg } from './readDicomSeg.js';

const dcmqi = (path: string) => sharedPath('data/seg/dcmqi/data/segmentations', path);

/** dcmqi's NRRD label maps (gzip, little-endian int16, LPS space): the reference and the grid it lies on. */
function readNrrd(path: string): { grid: SegTarget; values: Int16Array } {
  const bytes = readFileSync(path);
  const end = bytes.indexOf('\n\n');
  const header = bytes.subarray(0, end).toString('latin1');
  const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(header)![1]!;
  expect(field('space')).toBe('left-posterior-superior');
  expect(field('type')).toBe('short');
  const shape = field('sizes').split(' ').map(Number) as unknown as Vec3;
  const vectors = [...field('space directions').matchAll(/\(([^)]*)\)/g)].map((m) => m[1]!.split(',').map(Number));
  const spacing = vectors.map((v) => Math.hypot(...v)) as unknown as Vec3;
  const direction = vectors.map((v, i) => v.map((x) => x / spacing[i]!)) as unknown as [Vec3, Vec3, Vec3];
  const origin = /\(([^)]*)\)/.exec(field('space origin'))![1]!.split(',').map(Number) as unknown as Vec3;
  const data = gunzipSync(bytes.subarray(end + 2));
  return { grid: { shape, spacing, origin, direction }, values: new Int16Array(data.buffer, data.byteOffset, data.byteLength / 2) };
}

function expectSegmentMatches(mask: Uint8Array | undefined, reference: Int16Array, label: number): void {
  expect(mask).toBeDefined();
  let differences = 0;
  let count = 0;
  for (let i = 0; i < reference.length; i++) {
    const expected = reference[i] === label ? 1 : 0;
    count += expected;
    if (mask![i] !== expected) differences++;
  }
  expect(count).toBeGreaterThan(0);
  expect(differences).toBe(0);
}

describe('placeSegFrames against dcmqi NRRD references', () => {
  it('places a binary liver SEG on its three CT slices by plane position', async () => {
    const { grid, values } = readNrrd(dcmqi('liver_seg.nrrd'));
    const placed = placeSegFrames(await readDicomSeg(dcmqi('liver.dcm')), grid);
    expect(placed.unmatchedFrames).toBe(0);
    expectSegmentMatches(placed.segments.get(1), values, 1);
  });

  it.each(['23x38x3', '24x38x3'])('unpacks 1-bit frames whose pixel count is not a multiple of 8 (%s)', async (name) => {
    const { grid, values } = readNrrd(dcmqi(`${name}/nrrd/label.nrrd`));
    const placed = placeSegFrames(await readDicomSeg(dcmqi(`${name}/seg/label.seg`)), grid);
    expectSegmentMatches(placed.segments.get(1), values, 1);
  });

  it('keeps five partially overlapping segments as separate classes', async () => {
    const placed = placeSegFrames(await readDicomSeg(dcmqi('partial_overlaps.dcm')), readNrrd(dcmqi('partial_overlaps-1.nrrd')).grid);
    const owner: Record<number, string> = { 1: '1', 2: '2', 3: '3', 4: '1', 5: '1' };
    for (const segment of [1, 2, 3, 4, 5]) {
      expectSegmentMatches(placed.segments.get(segment), readNrrd(dcmqi(`partial_overlaps-${owner[segment]}.nrrd`)).values, segment);
    }
  });

  it.each(['ppv5', 'noppv'])('reads sparse label-map SEGs (%s) and ignores padding values', async (name) => {
    const { grid, values } = readNrrd(dcmqi(`sparse_labelmap_${name}_seg.nrrd`));
    const seg = await readDicomSeg(dcmqi(`sparse-labelmap-${name}.dcm`));
    expect(seg.segmentationType).toBe('LABELMAP');
    const placed = placeSegFrames(seg, grid);
    expectSegmentMatches(placed.segments.get(1), values, 1);
    expect([...placed.segments.keys()]).toEqual([1]);
  });
});

interface PydicomPlacement {
  slices: string[];
  position: number[][];
  orientation: number[];
  spacing: number[];
  shape: number[];
  masks: Record<string, number[]>;
}

/** pydicom's independent placement: SEG frames to CT slices by ReferencedSOPInstanceUID, slices ordered by z. */
function pydicomPlacement(segPath: string, threshold: number): PydicomPlacement {
  const script = `
import sys, json, glob, numpy as np, pydicom
seg = pydicom.dcmread(sys.argv[1]); thr = float(sys.argv[3])
cts = sorted((pydicom.dcmread(p) for p in glob.glob(sys.argv[2] + '/*')), key=lambda d: float(d.ImagePositionPatient[2]))
uids = [d.SOPInstanceUID for d in cts]
arr = seg.pixel_array.reshape(int(seg.NumberOfFrames), seg.Rows, seg.Columns)
masks = {}
for f, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
    k = uids.index(fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
    s = str(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
    m = masks.setdefault(s, np.zeros((len(cts), seg.Rows, seg.Columns), np.uint8))
    v = arr[f] / float(seg.get('MaximumFractionalValue', 1)) if seg.SegmentationType == 'FRACTIONAL' else arr[f]
    m[k] |= ((v >= thr) & (arr[f] > 0)).astype(np.uint8) if seg.SegmentationType == 'FRACTIONAL' else (arr[f] > 0).astype(np.uint8)
print(json.dumps({"slices": uids, "position": [[float(x) for x in d.ImagePositionPatient] for d in cts],
  "orientation": [float(x) for x in cts[0].ImageOrientationPatient], "spacing": [float(x) for x in cts[0].PixelSpacing],
  "shape": [cts[0].Columns, cts[0].Rows, len(cts)], "masks": {k: np.flatnonzero(v).tolist() for k, v in masks.items()}}))`;
  const ct2 = sharedPath('data/dicom/pydicom/test_files/dicomdirtests/77654033/CT2');
  const result = spawnSync(debianPython, ['-c', script, segPath, ct2, String(threshold)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as PydicomPlacement;
}

describe('placeSegFrames on highdicom CT SEGs that reference dicomdirtests/77654033/CT2', () => {
  it.each([
    ['seg_image_ct_binary.dcm', 0.5],
    ['seg_image_ct_binary_overlap.dcm', 0.5],
    ['seg_image_ct_binary_fractional.dcm', 0.5],
    ['seg_image_ct_true_fractional.dcm', 0.5],
    ['seg_image_ct_true_fractional.dcm', 0.2],
  ])('%s (threshold %s) matches pydicom placed by ReferencedSOPInstanceUID', async (file, threshold) => {
    const path = sharedPath('data/seg/highdicom/data/test_files', file);
    const reference = pydicomPlacement(path, threshold);
    const o = reference.orientation;
    const row: Vec3 = [o[0]!, o[1]!, o[2]!];
    const col: Vec3 = [o[3]!, o[4]!, o[5]!];
    const [first, second] = [reference.position[0]!, reference.position[1]!];
    const dz = Math.hypot(second[0]! - first[0]!, second[1]! - first[1]!, second[2]! - first[2]!);
    const target: SegTarget = {
      shape: reference.shape as unknown as Vec3,
      spacing: [reference.spacing[1]!, reference.spacing[0]!, dz],
      origin: first as unknown as Vec3,
      direction: [row, col, [(second[0]! - first[0]!) / dz, (second[1]! - first[1]!) / dz, (second[2]! - first[2]!) / dz]],
      sopInstanceUids: reference.slices,
    };
    const placed = placeSegFrames(await readDicomSeg(path), target, { threshold });
    expect(placed.unmatchedFrames).toBe(0);
    expect([...placed.segments.keys()].sort()).toEqual(Object.keys(reference.masks).map(Number).sort());
    for (const [segment, indices] of Object.entries(reference.masks)) {
      const mask = placed.segments.get(Number(segment))!;
      const ours: number[] = [];
      mask.forEach((v, i) => v && ours.push(i));
      expect(ours).toEqual(indices);
    }
  });

  it('rejects a SEG whose frames do not fit the image grid', async () => {
    const seg = await readDicomSeg(dcmqi('liver.dcm'));
    const grid = readNrrd(dcmqi('liver_seg.nrrd')).grid;
    await expect(async () => placeSegFrames(seg, { ...grid, spacing: [1.5, 1.5, 1] })).rejects.toThrow(MaskError);
    await expect(async () => placeSegFrames(seg, { ...grid, spacing: [1.5, 1.5, 1] })).rejects.toThrow(/liver\.dcm: SEG pixel spacing/);
  });
});
