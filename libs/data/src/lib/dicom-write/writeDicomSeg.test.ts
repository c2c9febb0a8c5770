import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '../../testing.js';
import { readDicomSeries, type DicomSeriesVolume } from '../dicom/readDicomSeries.js';
import { scanDicomTree } from '../dicom/scanDicomTree.js';
import { segSourceFromSeries } from './segSourceFromSeries.js';
import { encodeDicomSeg, writeDicomSeg } from './writeDicomSeg.js';

let series: DicomSeriesVolume;

beforeAll(async () => {
  const scan = await scanDicomTree(sharedPath('data/sts/dicom/STS_002/image'));
  series = await readDicomSeries(scan.series[0]!);
});

/** Bright voxels inside a box, labels 1 and 2 by half: a mask with empty slices, holes and two segments. */
function labelMap(): Uint8Array {
  const [nx, ny, nz] = series.volume.shape;
  const data = series.volume.data;
  const labels = new Uint8Array(data.length);
  let max = 0;
  for (const v of data) max = Math.max(max, v);
  for (let z = 3; z < nz - 5; z++)
    for (let y = 10; y < ny - 10; y++)
      for (let x = 7; x < nx - 13; x++) {
        const i = x + nx * (y + ny * z);
        if (data[i]! > 0.4 * max) labels[i] = x < nx / 2 ? 1 : 2;
      }
  return labels;
}

describe('writeDicomSeg', () => {
  it('writes a SEG that dciodvfy accepts and that pydicom reads back as the same label map', async () => {
    const labels = labelMap();
    const path = join(await mkdtemp(join(tmpdir(), 'medseg-seg-')), 'pred.seg.dcm');
    await writeDicomSeg(path, {
      source: await segSourceFromSeries(series),
      labels,
      segments: [
        { label: 1, name: 'tumour left' },
        { label: 2, name: 'tumour right' },
      ],
      algorithm: { name: 'medseg test', version: '0.1.0' },
    });
    const verify = spawnSync('dciodvfy', ['-new', path], { encoding: 'utf8' });
    const report = `${verify.stdout}${verify.stderr}`;
    expect(report).toMatch(/Segmentation/);
    expect(report.split('\n').filter((line) => /^Error/.test(line))).toEqual([]);

    // pydicom decodes the packed bits; frames go back to slices through ReferencedSOPInstanceUID and the
    // source files' own positions along the slice normal (independent of medseg's ordering).
    const script = `
import sys, glob, numpy as np, pydicom
seg = pydicom.dcmread(sys.argv[1])
src = [pydicom.dcmread(f, stop_before_pixels=True) for f in glob.glob(sys.argv[2] + '/*')]
o = np.array(src[0].ImageOrientationPatient, float); n = np.cross(o[:3], o[3:])
src.sort(key=lambda d: float(np.dot(n, np.array(d.ImagePositionPatient, float))))
index = {d.SOPInstanceUID: k for k, d in enumerate(src)}
frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns)
out = np.zeros((len(src), seg.Rows, seg.Columns), np.uint8)
for f, item in enumerate(seg.PerFrameFunctionalGroupsSequence):
    uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
    segment = item.SegmentIdentificationSequence[0].ReferencedSegmentNumber
    pos = np.array(item.PlanePositionSequence[0].ImagePositionPatient, float)
    assert np.allclose(pos, np.array(src[index[uid]].ImagePositionPatient, float), atol=1e-3), (pos, uid)
    out[index[uid]][frames[f] > 0] = segment
sys.stdout.buffer.write(out.tobytes())`;
    const result = spawnSync(debianPython, ['-c', script, path, sharedPath('data/sts/dicom/STS_002/image')], { maxBuffer: 1 << 26 });
    expect(result.status, result.stderr.toString()).toBe(0);
    expect(result.stdout.byteLength).toBe(labels.length);
    expect(Buffer.compare(result.stdout, Buffer.from(labels))).toBe(0);
  });

  it('writes one empty frame for an empty prediction, and refuses a label map of the wrong size', async () => {
    const source = await segSourceFromSeries(series);
    const empty = new Uint8Array(series.volume.data.length);
    const bytes = encodeDicomSeg({ source, labels: empty, segments: [{ label: 1, name: 'tumour' }], algorithm: { name: 'x', version: '1' } });
    const path = join(await mkdtemp(join(tmpdir(), 'medseg-seg-')), 'empty.dcm');
    await (await import('node:fs/promises')).writeFile(path, bytes);
    const frames = spawnSync(debianPython, ['-c', 'import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); print(d.NumberOfFrames, int(d.pixel_array.sum()))', path], { encoding: 'utf8' });
    expect(frames.stdout.trim()).toBe('1 0');
    expect(() => encodeDicomSeg({ source, labels: new Uint8Array(5), segments: [{ label: 1, name: 't' }], algorithm: { name: 'x', version: '1' } })).toThrow(/label map holds 5 voxels/);
  });
});
