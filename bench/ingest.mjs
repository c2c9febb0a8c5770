// @ts-check
// Ingest throughput and peak memory over the 36 STS patients (issue 7): `npm run bench:ingest`.
//
// Runs `medseg ingest` (the built bin) in a child process on all 36 patients, and again on the 6 largest, and
// prints series/s, MB/s of DICOM read, and the child's peak RSS for both. Streaming means the peak follows the
// largest series, not the archive: both runs hold the same largest series, so their peaks should be close
// although one reads six times the data. Also prints the decoded size of the largest series for scale.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const sharedRoot = process.env['MEDSEG_SHARED'] ?? resolve(root, '../shared');
const sts = join(sharedRoot, 'data/sts/dicom');
const patients = readdirSync(sts).filter((name) => name.startsWith('STS_')).sort();

/** @param {string} folder */
const folderBytes = (folder) => readdirSync(folder, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);

/** @param {readonly string[]} chosen */
function measure(chosen) {
  const work = mkdtempSync(join(tmpdir(), 'medseg-bench-ingest-'));
  const images = join(work, 'images');
  mkdirSync(images);
  for (const patient of chosen) symlinkSync(join(sts, patient), join(images, patient));
  // The child reports its own peak resident set when it exits.
  const script = `
    const { run } = await import(${JSON.stringify(join(root, 'apps/cli/dist/main.js'))});
    const started = performance.now();
    const code = await run(['ingest', '--images', ${JSON.stringify(images)}, '--roi', 'GTV*', '--out', ${JSON.stringify(join(work, 'ds'))}],
      { stdout: process.stderr, stderr: process.stderr, env: process.env, cwd: process.cwd(), isTTY: false });
    console.log(JSON.stringify({ code, seconds: (performance.now() - started) / 1000, maxRssKb: process.resourceUsage().maxRSS }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  const bytes = chosen.reduce((sum, p) => sum + folderBytes(join(sts, p, 'image')), 0);
  rmSync(work, { recursive: true, force: true });
  return { ...result, bytes, series: chosen.length };
}

const sizes = patients.map((p) => ({ p, bytes: folderBytes(join(sts, p, 'image')) })).sort((a, b) => a.bytes - b.bytes);
const largest = sizes[sizes.length - 1];
const all = measure(patients);
const few = measure(sizes.slice(-6).map((s) => s.p));
for (const [label, r] of [['36 patients', all], ['6 largest', few]]) {
  console.log(`${label}: ${r.series} series in ${r.seconds.toFixed(1)} s: ${(r.series / r.seconds).toFixed(2)} series/s, ` +
    `${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s of DICOM; peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MB (exit ${r.code})`);
}
console.log(`largest series: ${largest?.p}, ${((largest?.bytes ?? 0) / 1e6).toFixed(1)} MB of DICOM`);
console.log(`ingest: ${(all.series / all.seconds).toFixed(2)} series/s, peak RSS ratio 36/6 patients ${(all.maxRssKb / few.maxRssKb).toFixed(2)}`);
