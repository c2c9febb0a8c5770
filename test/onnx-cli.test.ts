import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, repoRoot, sharedPath } from '@medseg/data/testing';
import type { MedsegModel } from '@medseg/models';

// A three-patient STS dataset and a one-epoch 64x64 run; the run exported to ONNX, and predictions on the three
// patients' DICOM series through ONNX Runtime and through tfjs, compared label map by label map and SEG by SEG.
const work = mkdtempSync(join(tmpdir(), 'medseg-onnx-cli-'));
const images = join(work, 'images');
const dataset = join(work, 'dataset');
const runDir = join(work, 'run');
const patients = ['STS_001', 'STS_002', 'STS_003'];
const small = ['--no-plan', '--input-size', '64', '--decoder-filters', '16-8-8-8-8', '--batch-size', '8', '--backend', 'wasm', '--encoder-weights', sharedPath('weights/mobilenet_v1_0.25_224')];
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bin = join(repoRoot, 'apps/cli/bin/medseg.js');

function medseg(args: readonly string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 24 });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

function python<T>(script: string, args: readonly string[]): T {
  const result = spawnSync(debianPython, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as T;
}

beforeAll(() => {
  mkdirSync(images);
  for (const id of patients) symlinkSync(sharedPath('data/sts/dicom', id), join(images, id));
  const ingest = medseg(['ingest', '--images', images, '--out', dataset, '--roi', 'GTV*', '--val', '0', '--val-patients', 'STS_003']);
  expect(ingest.status, ingest.err).toBe(0);
  const train = medseg(['train', '--dataset', dataset, '--out', runDir, '--epochs', '1', '--augment', 'none', ...small]);
  expect(train.status, train.err).toBe(0);
});

describe('medseg export --format onnx and predict --engine onnx', () => {
  it('exports a model that onnx.checker accepts, with a medseg-model.json a consumer can run it from', () => {
    const out = join(work, 'export');
    const result = medseg(['export', '--model', runDir, '--format', 'onnx', '--out', out, '--json']);
    expect(result.status, result.err).toBe(0);
    const summary = JSON.parse(result.out) as { description: MedsegModel };
    expect(summary.description.input).toMatchObject({ size: 64, channels: 1, layout: 'NHWC' });
    expect(summary.description.onnx!.inputShape).toEqual(['batch', 64, 64, 1]);
    // The class keeps its key (the --roi pattern) and shows the ROI every case matched.
    const manifest = JSON.parse(readFileSync(join(dataset, 'manifest.json'), 'utf8')) as { classInfo: { key: string; label: string }[]; cases: { id: string; modality: string }[] };
    expect(summary.description.classes.map((c) => [c.key, c.label])).toEqual(manifest.classInfo.map((c) => [c.key, c.label]));
    expect(summary.description.classes[1]!.label).not.toBe('GTV*');
    expect(summary.description.preprocessing.modality).toBe(manifest.cases[0]!.modality);
    expect(summary.description.members[0]!.checkpoint).toBe(join(runDir, 'best'));
    expect(summary.description.members[0]!.weightsSha256).toBe(createHash('sha256').update(readFileSync(join(runDir, 'best', 'weights.bin'))).digest('hex'));
    expect(summary.description.members[0]!.run.dataset.caseIds!.val).toEqual(['STS_003']);
    expect(summary.description.preprocessing.normalization).not.toBeNull();
    expect(JSON.parse(readFileSync(join(out, 'medseg-model.json'), 'utf8'))).toEqual(summary.description);
    // The export applies what the run chose on its validation patient, as predict does, and says so.
    const chosen = (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { postprocessing: { chosen: { threshold: number; largestComponent: boolean } } }).postprocessing.chosen;
    expect(summary.description.postprocessing).toMatchObject({ ...chosen, chosenBy: { threshold: 'run', largestComponent: 'run' } });
    const flagged = medseg(['export', '--model', runDir, '--format', 'onnx', '--out', join(work, 'export-flags'), '--threshold', '0.45', chosen.largestComponent ? '--no-largest-component' : '--largest-component', '--json']);
    expect(flagged.status, flagged.err).toBe(0);
    expect((JSON.parse(flagged.out) as { description: MedsegModel }).description.postprocessing).toMatchObject({
      threshold: 0.45,
      largestComponent: !chosen.largestComponent,
      chosenBy: { threshold: 'flag', largestComponent: 'flag' },
    });
    const check = python<{ opset: number; batch: string; sha: string; ops: string[] }>(
      `import sys, json, hashlib, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print(json.dumps({'opset': m.opset_import[0].version, 'batch': m.graph.input[0].type.tensor_type.shape.dim[0].dim_param,
  'sha': hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest(), 'ops': sorted({n.op_type for n in m.graph.node})}))`,
      [join(out, 'model.onnx')],
    );
    expect(check.opset).toBe(13);
    expect(check.batch).toBe('batch');
    expect(check.sha).toBe(summary.description.onnx!.sha256);
    // BatchNormalization is folded away.
    expect(check.ops).not.toContain('BatchNormalization');
    expect(check.ops).toContain('Conv');
  });

  it('predicts the same label maps and SEGs (apart from UIDs and dates) with ONNX Runtime as with tfjs on three patients', () => {
    const outs = { onnx: join(work, 'pred-onnx'), tfjs: join(work, 'pred-tfjs') };
    for (const [engine, out] of Object.entries(outs)) {
      // Post-processing pinned by flags: this compares engines, not the threshold the one-epoch run chose on its
      // one validation patient (a one-epoch model's probabilities crowd every threshold, and float32 sums in ONNX
      // Runtime and XNNPACK differ in the last bits).
      const result = medseg(['predict', '--model', runDir, '--input', images, '--out', out, '--tta', '--largest-component', '--threshold', '0.5', '--backend', 'wasm', '--engine', engine, '--workers', '2']);
      expect(result.status, result.err).toBe(0);
      expect(result.err).toMatch(new RegExp(`^engine: ${engine}`, 'm'));
      const record = JSON.parse(readFileSync(join(out, 'predictions.json'), 'utf8')) as { settings: { engine: string }; cases: { id: string }[] };
      expect(record.settings.engine).toBe(engine);
      expect(record.cases.map((c) => c.id).sort()).toEqual(patients);
    }
    const compare = python<{ id: string; voxels: number; differ: number; foreground: number; segDiffs: string[] }[]>(
      `import sys, json, numpy as np, nibabel as nib, pydicom
a, b = sys.argv[1], sys.argv[2]
skip = {'SOPInstanceUID', 'SeriesInstanceUID', 'StudyInstanceUID', 'MediaStorageSOPInstanceUID', 'FrameOfReferenceUID', 'DimensionOrganizationUID',
        'ContentDate', 'ContentTime', 'SeriesDate', 'SeriesTime', 'InstanceCreationDate', 'InstanceCreationTime', 'AcquisitionDateTime'}
def flat(ds, prefix=''):
    out = {}
    for e in ds:
        if e.keyword in skip: continue
        key = prefix + (e.keyword or str(e.tag))
        if e.VR == 'SQ':
            for i, item in enumerate(e.value): out.update(flat(item, f'{key}[{i}].'))
        else: out[key] = e.value if e.keyword != 'PixelData' else bytes(e.value)
    return out
rows = []
for pid in sys.argv[3:]:
    x = np.asarray(nib.load(f'{a}/{pid}.nii.gz').dataobj); y = np.asarray(nib.load(f'{b}/{pid}.nii.gz').dataobj)
    sa, sb = flat(pydicom.dcmread(f'{a}/{pid}.seg.dcm')), flat(pydicom.dcmread(f'{b}/{pid}.seg.dcm'))
    diffs = sorted(k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k))
    rows.append({'id': pid, 'voxels': int(x.size), 'differ': int((x != y).sum()), 'foreground': int((x > 0).sum()), 'segDiffs': diffs})
print(json.dumps(rows))`,
      [outs.onnx, outs.tfjs, ...patients],
    );
    for (const row of compare) {
      expect(row.differ, `${row.id}: ${row.differ} of ${row.voxels} voxels differ`).toBe(0);
      expect(row.segDiffs, row.id).toEqual([]);
    }
    // The run predicts some tumour somewhere, so equal label maps are not two empty ones.
    expect(compare.reduce((s, r) => s + r.foreground, 0)).toBeGreaterThan(0);
  });

  it('refuses a run that does not exist, an ONNX file from elsewhere and a corrupt model.onnx, naming the file', () => {
    const missing = medseg(['export', '--model', join(work, 'no-such-run'), '--format', 'onnx', '--out', join(work, 'export-missing')]);
    expect(missing.status).toBe(1);
    expect(missing.err).toContain(`${join(work, 'no-such-run')}: no such training run`);

    const again = medseg(['export', '--model', runDir, '--format', 'onnx', '--out', join(work, 'export')]);
    expect(again.status).toBe(1);
    expect(again.err).toContain(`${join(work, 'export')}: output folder exists and is not empty (pass --overwrite to replace it)`);

    const foreign = join(work, 'foreign');
    mkdirSync(foreign);
    python<null>(
      `import sys, onnx
from onnx import helper, TensorProto
g = helper.make_graph([helper.make_node('Identity', ['x'], ['y'])], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1])])
onnx.save(helper.make_model(g), sys.argv[1]); print('null')`,
      [join(foreign, 'model.onnx')],
    );
    const refused = medseg(['predict', '--model', join(foreign, 'model.onnx'), '--input', images, '--out', join(work, 'pred-foreign'), '--engine', 'onnx']);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain(`${join(foreign, 'model.onnx')}: no medseg-model.json beside the ONNX model`);

    const corrupt = join(work, 'export-corrupt');
    mkdirSync(corrupt);
    copyFileSync(join(work, 'export', 'medseg-model.json'), join(corrupt, 'medseg-model.json'));
    writeFileSync(join(corrupt, 'model.onnx'), readFileSync(join(work, 'export', 'model.onnx')).subarray(0, 5000));
    const broken = medseg(['predict', '--model', corrupt, '--input', images, '--out', join(work, 'pred-corrupt'), '--engine', 'onnx']);
    expect(broken.status).toBe(1);
    expect(broken.err).toContain(`${join(corrupt, 'model.onnx')}: corrupt or replaced`);
  });
});
