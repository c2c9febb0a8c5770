import { sharedPath } from '@medseg/data/testing';
import { describe, expect, it } from 'vitest';
import { runCampaign, targets } from './support/fuzz/campaign.mjs';
import { temporaryFolder } from './support/cli.js';

// Issue 17's campaign, bounded for CI: every reader (DICOM with each codec, RTSTRUCT, SEG, NIfTI, PNG,
// dataset manifests) meets mutated real files, each input in its own child process under a heap cap and a
// resident-memory cap. A result or a typed error, never a crash, a hang, the cap passed or a write outside
// the output folder. The same harness runs for longer as bench/fuzz-campaign.mjs.
const seed = 20261202;
const capMb = 768;

describe('fuzz campaign over all readers', () => {
  it('gives a result or a typed error for every input, under the memory cap, writing only into its output folder', async () => {
    const summary = await runCampaign({ seed, durationMs: 60_000, maxInputs: 300, concurrency: 2, capMb, workRoot: temporaryFolder('fuzz'), sharedData: sharedPath('data') });
    const failures = summary.failures.map((f) => `input ${f.index} (${f.mutation} of ${f.target}): ${f.outcome} ${f.error ?? ''} ${f.message ?? ''}`);
    expect(failures).toEqual([]);
    // Not vacuous: every target was tried, and both outcomes occur.
    expect(summary.inputs).toBeGreaterThanOrEqual(targets.length);
    for (const reader of new Set(targets.map((t) => t.reader))) {
      expect(Object.keys(summary.readers).some((key) => key.startsWith(`${reader}:`)), reader).toBe(true);
    }
    expect(summary.outcomes['typed']).toBeGreaterThan(0);
    expect(summary.outcomes['ok']).toBeGreaterThan(0);
    expect(summary.peakMb).toBeLessThan(capMb);
  }, 150_000);
});
