// The long fuzz campaign of issue 17: the same harness as test/fuzz-campaign.test.ts (test/support/fuzz/),
// for as long as you give it. Every input is a mutation of a real file in ../shared, run in its own child
// process under a heap cap and a resident-memory cap; the counts (inputs tried, outcomes by kind, typed errors
// by class, per reader) are printed as JSON, and every failure with the seed and index that reproduce it.
//
//   npm run build && nice -n 15 node bench/fuzz-campaign.mjs --minutes 5 [--seed 17] [--concurrency 2]
//        [--cap-mb 768] [--max-voxels 4194304] [--out counts.json] [--only 12,40]
//
// Exit status 1 when any input crashed, hung, passed the memory cap, wrote outside its output folder or threw
// an untyped error. A failing input is replayed with the same --seed and --only INDEX. A hang is 10 s of CPU
// time in one input (not wall time: at nice 15 on a loaded machine a child may wait long for a core).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runCampaign } from '../test/support/fuzz/campaign.mjs';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../..');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string', default: '17' },
    concurrency: { type: 'string', default: '2' },
    'cap-mb': { type: 'string', default: '768' },
    'max-voxels': { type: 'string', default: String(2 ** 22) },
    out: { type: 'string' },
    only: { type: 'string' },
  },
});
const workRoot = mkdtempSync(join(tmpdir(), 'medseg-fuzz-'));
let done = 0;
const summary = await runCampaign({
  seed: Number(values.seed),
  durationMs: Number(values.minutes) * 60_000,
  concurrency: Number(values.concurrency),
  ...(values.only ? { indices: values.only.split(',').map(Number) } : {}),
  capMb: Number(values['cap-mb']),
  maxVoxels: Number(values['max-voxels']),
  workRoot,
  sharedData: join(process.env.MEDSEG_SHARED ?? resolve(repoRoot, '../shared'), 'data'),
  onResult: (r) => {
    if (++done % 50 === 0) process.stderr.write(`fuzz: ${done} inputs\n`);
    if (r.outcome !== 'ok' && r.outcome !== 'typed') process.stderr.write(`fuzz: input ${r.index} (${r.mutation} of ${r.target}): ${r.outcome}: ${r.message ?? ''}\n`);
  },
});
const { results, ...counts } = summary;
const text = `${JSON.stringify(counts, null, 2)}\n`;
process.stdout.write(text);
if (values.out) writeFileSync(values.out, text);
if (summary.failures.length === 0) rmSync(workRoot, { recursive: true, force: true });
else process.stderr.write(`fuzz: failing inputs kept under ${workRoot}\n`);
process.exitCode = summary.failures.length === 0 ? 0 : 1;
