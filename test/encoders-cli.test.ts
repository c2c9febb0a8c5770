import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';

const work = mkdtempSync(join(tmpdir(), 'medseg-encoders-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = join(repoRoot, 'apps/cli/bin/medseg.js');
const weightsDir = sharedPath('weights');
// An empty cache, so that nothing but the weights folder can supply weights.
const env = { ...process.env, MEDSEG_CACHE: join(work, 'cache') };

function medseg(args: readonly string[], extraEnv: Record<string, string> = {}): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 24, env: { ...env, ...extraEnv } });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

describe('medseg encoders', () => {
  it('lists every backbone with its parameters, FLOPs at 128x128, weights source and whether they are at hand', () => {
    const listed = medseg(['encoders', '--json'], { MEDSEG_WEIGHTS_DIR: weightsDir });
    expect(listed.status, listed.err).toBe(0);
    const rows = JSON.parse(listed.out) as { name: string; parameters: number; flops128: number; weights: { md5: string | null; url: string }; local: { where: string } | null }[];
    const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(Object.keys(byName)).toEqual(['mobilenet_v1_0.25', 'mobilenet_v1_1.0', 'mobilenet_v2_1.0', 'resnet50', 'vgg16']);
    // Keras count_params() of the headless networks (MobileNet v1 0.25's as the shared README gives it).
    expect(byName['mobilenet_v1_0.25']!.parameters).toBe(218_544);
    expect(byName['mobilenet_v2_1.0']!.parameters).toBe(2_257_984);
    expect(byName['resnet50']!.parameters).toBe(23_587_712);
    expect(byName['vgg16']!.parameters).toBe(14_714_688);
    // VGG16 at 128x128, closed form: 2 x sum over its 13 convolutions of 9 x in x out x output pixels.
    const vgg = [[3, 64, 128], [64, 64, 128], [64, 128, 64], [128, 128, 64], [128, 256, 32], [256, 256, 32], [256, 256, 32],
      [256, 512, 16], [512, 512, 16], [512, 512, 16], [512, 512, 8], [512, 512, 8], [512, 512, 8]].reduce((sum, [i, o, s]) => sum + 2 * 9 * i! * o! * s! * s!, 0);
    expect(byName['vgg16']!.flops128).toBe(vgg);
    expect(byName['resnet50']!.weights.md5).toBe('4d473c1dd8becc155b73f8504c6f6626');
    expect(byName['vgg16']!.weights.md5).toBe('6d6bbae143d832006294945121d1f1fc');
    expect(byName['mobilenet_v2_1.0']!.local?.where).toBe('weights-dir');
    expect(byName['resnet50']!.local).toBeNull();
    const table = medseg(['encoders']);
    expect(table.status, table.err).toBe(0);
    expect(table.out).toMatch(/\| mobilenet_v2_1\.0 \| 2\.26 M \| 0\.196 G \| tf \| https:\/\/storage\.googleapis\.com\/tensorflow\/keras-applications\/mobilenet_v2\/.* \| no \(downloaded on first use\) \|/);
    const help = medseg(['train', '--help']);
    expect(help.out.replace(/\s+/g, ' ')).toContain('"mobilenet_v1_0.25", "mobilenet_v1_1.0", "mobilenet_v2_1.0", "resnet50", "vgg16"');
  });
});

describe('MobileNet v2 end to end', () => {
  it('trains on a phantom with its ImageNet weights from --weights-dir, predicts a DICOM series, writes a valid SEG', () => {
    const phantom = join(work, 'phantom');
    expect(medseg(['phantom', '--out', phantom, '--patients', '3', '--size', '64', '--slices', '8']).status).toBe(0);
    const dataset = join(work, 'dataset');
    const ingest = medseg(['ingest', '--images', phantom, '--out', dataset, '--val', '0', '--val-patients', 'PHANTOM_003']);
    expect(ingest.status, ingest.err).toBe(0);
    const run = join(work, 'run');
    const train = medseg(['train', '--dataset', dataset, '--out', run, '--encoder', 'mobilenet_v2_1.0', '--weights-dir', weightsDir, '--no-plan', '--epochs', '1',
      '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--json']);
    expect(train.status, train.err).toBe(0);
    const summary = JSON.parse(train.out) as { config: { backbone: string; encoderWeights: string }; epochs: number };
    expect(summary.config).toMatchObject({ backbone: 'mobilenet_v2_1.0', encoderWeights: 'imagenet' });
    const out = join(work, 'pred');
    const predict = medseg(['predict', '--model', run, '--input', join(phantom, 'PHANTOM_003', 'image'), '--out', out, '--backend', 'wasm']);
    expect(predict.status, predict.err).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { cases: { files: { seg: string; nifti: string } }[] };
    const seg = join(out, record.cases[0]!.files.seg);
    const verify = spawnSync('dciodvfy', ['-new', seg], { encoding: 'utf8' });
    expect(`${verify.stdout}${verify.stderr}`.split('\n').filter((line) => /^Error/.test(line))).toEqual([]);
    const read = spawnSync(debianPython, ['-c', 'import sys, pydicom; d = pydicom.dcmread(sys.argv[1]); print(d.Modality, d.Rows, d.Columns)', seg], { encoding: 'utf8' });
    expect(read.stdout.trim()).toBe('SEG 64 64');
  });
});
