import { describe, it } from 'vitest';
import { scanDicomTree, readDicomSeries } from '../../index.js';
import { sharedPath } from '../../testing.js';

describe('smoke', () => {
  it('reads', async () => {
    const t0 = performance.now();
    const scan = await scanDicomTree(sharedPath('data/sts/dicom/STS_001'));
    console.log(scan.series.length, scan.others, scan.skipped, performance.now() - t0);
    const v = await readDicomSeries(scan.series[0]!);
    console.log(v.volume.shape, v.volume.spacing, v.volume.origin, v.volume.direction, v.problems, v.volume.data.constructor.name, performance.now() - t0);
    const all = await scanDicomTree(sharedPath('data/dicom'));
    console.log(all.series.length, all.others.length, all.skipped);
  });
});
