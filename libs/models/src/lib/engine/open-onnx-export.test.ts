import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallTrainSettings, smallUnetOptions } from '../../testing/small-unet.js';
import { selectBackend } from '../backend/selectBackend.js';
import { saveCheckpoint } from '../checkpoint.js';
import { ModelLoadError } from '../errors.js';
import { exportOnnx } from '../export/export-onnx.js';
import { sha256 } from '../export/medseg-model.js';
import { buildUnet } from '../unet.js';
import { openOnnxExport } from './open-onnx-export.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('exportOnnx + openOnnxExport', () => {
  const work = mkdtempSync(join(tmpdir(), 'medseg-onnx-export-'));

  it('writes model.onnx and medseg-model.json that open as an engine equal to the tfjs forward', async () => {
    const unet = await buildUnet(smallUnetOptions({ seed: 4 }));
    const training = smallTrainSettings({ dataset: { path: '/data/sts', classes: ['background', 'tumour'], normalization: { kind: 'percentile', lower: 0.5, upper: 99.5 } as const } });
    const state = { epoch: 1, batch: 0, lossSum: 0, lossCount: 0, history: [], best: null, epochsSinceBest: 0, rng: [1, 2, 3, 4, 5] as const, stopped: null, elapsedSeconds: 0 };
    await saveCheckpoint(join(work, 'run', 'best'), { unet, optimizers: {}, state, training });
    const result = await exportOnnx({ models: [join(work, 'run')], out: join(work, 'export') });
    // A checkpoint from before run.json: its record is migrated from config.json, the class keys are the labels.
    expect(result.description.classes.map((c) => [c.key, c.label])).toEqual([['background', 'background'], ['tumour', 'tumour']]);
    expect(result.description.preprocessing.normalization).toEqual(training.dataset!.normalization);
    expect(result.description.onnx!.sha256).toBe(sha256(readFileSync(result.files.model)));
    expect(result.description.onnx!.inputShape).toEqual(['batch', 64, 64, 1]);
    expect(result.description.members[0]!.weightsSha256).toBe(sha256(readFileSync(join(work, 'run', 'best', 'weights.bin'))));
    expect(result.description.members[0]!.run.migratedFrom).toBe(join(work, 'run', 'best', 'config.json'));

    const { engine, description } = await openOnnxExport(join(work, 'export'));
    expect(description.network).toEqual(unet.config);
    const slices = tf.randomUniform([2, 64, 64], 0, 1, 'float32', 3);
    const images = slices.dataSync() as Float32Array;
    const reference = tf.tidy(() => unet.predict(slices as tf.Tensor3D).dataSync() as Float32Array);
    const onnx = await engine.predictSlices(images, 2);
    let max = 0;
    for (let i = 0; i < onnx.length; i++) max = Math.max(max, Math.abs(onnx[i]! - reference[i]!));
    expect(max).toBeLessThan(1e-4);
    await engine.dispose();
    slices.dispose();
    unet.dispose();
  });

  it('refuses a missing run, a foreign ONNX file, a changed model.onnx and one ONNX Runtime cannot load', async () => {
    await expect(exportOnnx({ models: [join(work, 'nothing')], out: join(work, 'x') })).rejects.toThrow(`${join(work, 'nothing')}: no such training run`);

    const foreign = join(work, 'foreign');
    await mkdir(foreign);
    writeFileSync(join(foreign, 'model.onnx'), readFileSync(join(work, 'export', 'model.onnx')));
    await expect(openOnnxExport(foreign)).rejects.toThrow(ModelLoadError);
    await expect(openOnnxExport(join(foreign, 'model.onnx'))).rejects.toThrow(`${join(foreign, 'model.onnx')}: no medseg-model.json beside the ONNX model`);

    const description = JSON.parse(readFileSync(join(work, 'export', 'medseg-model.json'), 'utf8')) as { onnx: { sha256: string } };
    const changed = join(work, 'changed');
    await mkdir(changed);
    writeFileSync(join(changed, 'medseg-model.json'), JSON.stringify(description));
    writeFileSync(join(changed, 'model.onnx'), readFileSync(join(work, 'export', 'model.onnx')).subarray(0, 4096));
    await expect(openOnnxExport(changed)).rejects.toThrow(`${join(changed, 'model.onnx')}: corrupt or replaced`);
    // The version-1 record of earlier exports (model.file at the top) is refused with what to do.
    writeFileSync(join(changed, 'medseg-model.json'), JSON.stringify({ ...description, version: 1 }));
    await expect(openOnnxExport(changed)).rejects.toThrow(`${join(changed, 'medseg-model.json')}: medseg-model.json field 'version' must be 2 (re-export the model with this medseg)`);

    // Bytes that match their checksum but are no ONNX model: ONNX Runtime's refusal, with the file named.
    const garbage = Buffer.from('this is not a protobuf ModelProto at all');
    writeFileSync(join(changed, 'model.onnx'), garbage);
    writeFileSync(join(changed, 'medseg-model.json'), JSON.stringify({ ...description, onnx: { ...description.onnx, sha256: sha256(garbage) } }));
    const failure = openOnnxExport(changed);
    await expect(failure).rejects.toThrow(ModelLoadError);
    await expect(openOnnxExport(changed)).rejects.toThrow(`${join(changed, 'model.onnx')}: ONNX Runtime cannot load this model`);
  });
});
