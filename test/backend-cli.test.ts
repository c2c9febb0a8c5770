import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@medseg/data/testing';

// The backend choice through the real bin on a machine without a GPU (the CI and development machines): an
// explicit --backend webgpu fails with the missing piece named, and auto passes over webgpu to wasm.
const work = mkdtempSync(join(tmpdir(), 'medseg-backend-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = join(repoRoot, 'apps/cli/bin/medseg.js');

function medseg(args: readonly string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

// What a machine without a usable GPU lacks: the optional packages, the Vulkan loader, a Vulkan driver that
// offers an adapter, or a real GPU behind the adapter.
const webgpuMissing =
  /backend webgpu: (cannot load (webgpu|@tensorflow\/tfjs-backend-webgpu)|no Vulkan loader: libvulkan\.so\.1|Dawn found no GPU adapter|Dawn's only adapter is a (fallback|software)).*Use --backend wasm|cannot load .*npm install @tensorflow\/tfjs-backend-webgpu@4\.22\.0 webgpu/;

describe('medseg --backend webgpu without a GPU', () => {
  it('train --backend webgpu exits 1 naming what is missing, before it reads anything or writes its run folder', () => {
    const out = join(work, 'run');
    // One run, and a whole cross-validation (--folds).
    for (const folds of [[], ['--folds', '2']]) {
      const result = medseg(['train', '--dataset', join(work, 'no-dataset'), '--out', out, '--backend', 'webgpu', ...folds]);
      expect(result.status).toBe(1);
      // The error line (a cross-validation says first what it was asked to do).
      expect(result.err).toMatch(new RegExp(`^medseg: ${webgpuMissing.source}`, 'm'));
      expect(result.err).not.toMatch(/\n\s+at /); // a message, not a stack
      expect(existsSync(out)).toBe(false);
    }
  });

  it('backend --backend webgpu says the same; auto skips webgpu after the native backends and runs wasm', () => {
    const explicit = medseg(['backend', '--backend', 'webgpu']);
    expect(explicit.status).toBe(1);
    expect(explicit.err).toMatch(webgpuMissing);
    const auto = medseg(['backend', '--json']);
    expect(auto.status, auto.err).toBe(0);
    const selected = JSON.parse(auto.out) as { name: string; skipped: { name: string; reason: string }[] };
    expect(selected.name).toBe('wasm');
    expect(selected.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu']);
    expect(selected.skipped[2]!.reason).toMatch(webgpuMissing);
    const plain = medseg(['backend']);
    expect(plain.out).toMatch(/^skipped webgpu: (?!backend webgpu)/m);
    expect(plain.out).toMatch(/^backend: wasm \(@tensorflow\/tfjs-backend-wasm/m);
  });
});
