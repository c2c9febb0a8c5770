// Benchmark: read the 36 STS MR series (2,221 files) into volumes with medseg and with pydicom + numpy, in the
// same run, and print files/s, MB/s and the ratio. Run with `npm run bench:read` (builds first).
//
// Both sides do the same work per series: find the files, parse every header, decode the pixels, apply the
// modality LUT and stack the slices in order along the slice normal. Each side runs once untimed (so the files
// are in the page cache for both), then REPEATS timed passes; the best pass counts.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDicomSeries, scanDicomTree } from '@medseg/data';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../..');
const shared = process.env.MEDSEG_SHARED ?? resolve(repoRoot, '../shared');
const stsRoot = join(shared, 'data/sts/dicom');
const repeats = Number(process.env.REPEATS ?? 3);
const dirs = readdirSync(stsRoot)
  .filter((d) => d.startsWith('STS_'))
  .sort()
  .map((d) => join(stsRoot, d, 'image'));
const files = dirs.flatMap((d) => readdirSync(d).map((f) => join(d, f)));
const megabytes = files.reduce((sum, f) => sum + statSync(f).size, 0) / 1e6;

async function medsegPass() {
  let voxels = 0;
  for (const dir of dirs) {
    const scan = await scanDicomTree(dir);
    for (const series of scan.series) voxels += (await readDicomSeries(series)).volume.data.length;
  }
  return voxels;
}

const python = `
import glob, os, sys, time
import numpy as np, pydicom
def read(d):
    dss = [pydicom.dcmread(p) for p in sorted(glob.glob(os.path.join(d, '*')))]
    iop = np.array(dss[0].ImageOrientationPatient, float)
    n = np.cross(iop[:3], iop[3:])
    dss.sort(key=lambda ds: float(np.dot(np.array(ds.ImagePositionPatient, float), n)))
    return np.stack([ds.pixel_array * float(ds.get('RescaleSlope', 1)) + float(ds.get('RescaleIntercept', 0)) for ds in dss])
dirs = sys.argv[2:]
best = None
for r in range(int(sys.argv[1]) + 1):
    t = time.perf_counter()
    voxels = sum(read(d).size for d in dirs)
    if r > 0:
        best = min(best or 1e9, time.perf_counter() - t)
print(best, voxels)
`;

await medsegPass(); // warm-up: page cache, codec and JIT
let medsegBest = Number.POSITIVE_INFINITY;
let medsegVoxels = 0;
for (let r = 0; r < repeats; r++) {
  const started = performance.now();
  medsegVoxels = await medsegPass();
  medsegBest = Math.min(medsegBest, (performance.now() - started) / 1000);
}
const result = spawnSync('/usr/bin/python3', ['-c', python, String(repeats), ...dirs], { encoding: 'utf8', maxBuffer: 1 << 24 });
if (result.status !== 0) throw new Error(`pydicom run failed: ${result.stderr}`);
const [pyBestText, pyVoxelsText] = result.stdout.trim().split(/\s+/);
const pyBest = Number(pyBestText);
if (Number(pyVoxelsText) !== medsegVoxels) throw new Error(`voxel counts differ: medseg ${medsegVoxels}, pydicom ${pyVoxelsText}`);

const row = (name, seconds) =>
  `${name.padEnd(16)} ${seconds.toFixed(3).padStart(8)} s ${(files.length / seconds).toFixed(0).padStart(8)} files/s ${(megabytes / seconds).toFixed(1).padStart(8)} MB/s`;
console.log(`read ${dirs.length} STS series: ${files.length} files, ${megabytes.toFixed(1)} MB, ${medsegVoxels} voxels (best of ${repeats})`);
console.log(row('medseg', medsegBest));
console.log(row('pydicom+numpy', pyBest));
console.log(`ratio (medseg speed / pydicom speed): ${(pyBest / medsegBest).toFixed(2)}x`);
