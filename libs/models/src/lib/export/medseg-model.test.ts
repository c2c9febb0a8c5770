import { describe, expect, it } from 'vitest';
import { smallTrainSettings } from '../../testing/small-unet.js';
import { ModelLoadError } from '../errors.js';
import { migrateCheckpointRecord, runClasses } from '../run-record.js';
import type { RunRecord } from '../run-record-schema.js';
import type { UnetConfig } from '../unet.js';
import { describeMedsegModel, type MedsegModel, medsegModelJson, medsegModelLabels, onnxPart, validateMedsegModel } from './medseg-model.js';

const config: UnetConfig = { backbone: 'mobilenet_v1_0.25', encoderWeights: 'imagenet', decoderFilters: [16, 8, 8, 8, 8], classes: 1, inputSize: 64, intensityRange: [0, 1], seed: 1, contextSlices: 1 };
const training = smallTrainSettings({ dataset: { path: '/data/sts', classes: ['background', 'GTV*'], normalization: { kind: 'zscore' } as never } });
/** A run whose dataset records the ROI every case matched for the `GTV*` pattern (ingest's classInfo). */
const migrated = migrateCheckpointRecord({ config, training }, '/runs/a/best/config.json');
const run: RunRecord = {
  ...migrated,
  dataset: {
    ...migrated.dataset,
    modality: 'MR',
    classes: runClasses({ classes: ['background', 'GTV*'], classInfo: [{ key: 'background', label: 'background', roiNames: [] }, { key: 'GTV*', label: 'GTV_Mass_MR_T1', roiNames: ['GTV_Mass_MR_T1'] }] }),
  },
};
const member = { checkpoint: '/runs/a/best', weightsSha256: 'ab'.repeat(32), run };

describe('medseg-model.json', () => {
  it('describes a model from its run record: display labels, 2.5D channels, modality, normalisation', () => {
    const base = describeMedsegModel([member], { format: 'web', postprocessing: { threshold: 0.4, largestComponent: true, tta: true, sources: { threshold: 'flag', largestComponent: 'run', tta: 'run' } } });
    expect(base.classes.map((c) => [c.key, c.label])).toEqual([['background', 'background'], ['GTV*', 'GTV_Mass_MR_T1']]);
    expect(medsegModelLabels(base)).toEqual(['background', 'GTV_Mass_MR_T1']);
    expect(base.input).toMatchObject({ size: 64, channels: 3, contextSlices: 1, layout: 'NHWC' });
    expect(base.preprocessing).toMatchObject({ modality: 'MR', normalization: { kind: 'zscore' }, intensityRange: [0, 1] });
    expect(base.postprocessing).toMatchObject({ threshold: 0.4, largestComponent: true, tta: true, chosenBy: { threshold: 'flag', largestComponent: 'run', tta: 'run' }, activation: 'sigmoid' });
    expect(base.postprocessing.rule).toMatch(/^probabilities = the mean over the slice as given, flipped .*largest 6-connected 3D component/);
    // Without a choice: predict's defaults, said to be defaults.
    expect(describeMedsegModel([member], { format: 'web' }).postprocessing).toMatchObject({ threshold: 0.5, largestComponent: false, tta: false, chosenBy: { threshold: 'default', largestComponent: 'default', tta: 'default' } });
    expect(describeMedsegModel([member], { format: 'web', modality: 'CT' }).preprocessing.modality).toBe('CT');
    const web: MedsegModel = { ...base, web: { members: ['model/0/model.json'] } };
    expect(validateMedsegModel(JSON.parse(medsegModelJson(web, 'x')), 'x', 'web')).toEqual(web);
    // An export from before the cleanup and TTA were recorded (threshold only) still reads.
    const { largestComponent: _l, tta: _t, chosenBy: _c, ...older } = web.postprocessing;
    expect(validateMedsegModel({ ...web, postprocessing: older }, 'x', 'web').postprocessing).not.toHaveProperty('tta');
  });

  it('gives the ONNX part the graph shapes and checksum, and one writer and validator for both formats', () => {
    const base = describeMedsegModel([member, member], { format: 'onnx' });
    const onnx = onnxPart(base.network, 2, new Uint8Array([1, 2, 3]));
    expect(onnx).toMatchObject({ inputShape: ['batch', 64, 64, 3], outputShape: ['batch', 64, 64, 1], sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81', ensemble: { members: 2 } });
    const record: MedsegModel = { ...base, onnx };
    expect(validateMedsegModel(JSON.parse(medsegModelJson(record, 'x')), 'x', 'onnx').onnx).toEqual(onnx);
    // A web reader refuses an ONNX record (no web part), and the reverse.
    expect(() => validateMedsegModel(record, '/e/medseg-model.json', 'web')).toThrow("/e/medseg-model.json: medseg-model.json field 'web.members' must be one weights manifest path per member");
    expect(() => validateMedsegModel(base, '/e/medseg-model.json', 'onnx')).toThrow("field 'onnx' must be");
  });

  it('refuses what a reader could not use, naming the field', () => {
    const base = describeMedsegModel([member], { format: 'web' });
    const bad: [unknown, string][] = [
      [{ ...base, web: { members: ['../../etc/passwd'] } }, "field 'web.members[0]'"],
      [{ ...base, web: { members: ['model/0/model.json', 'model/1/model.json'] } }, "field 'web.members'"],
      [{ ...base, onnx: { ...onnxPart(config, 1, new Uint8Array(1)), file: '../model.onnx' } }, "field 'onnx.file'"],
      [{ ...base, input: { ...base.input, channels: 1 } }, "field 'input.channels' must be 2 * contextSlices + 1"],
      [{ ...base, postprocessing: { ...base.postprocessing, threshold: 1.5 } }, "field 'postprocessing.threshold'"],
      [{ ...base, postprocessing: { ...base.postprocessing, largestComponent: 'yes' } }, "field 'postprocessing.largestComponent'"],
      [{ ...base, postprocessing: { ...base.postprocessing, tta: 1 } }, "field 'postprocessing.tta'"],
      [{ ...base, postprocessing: { ...base.postprocessing, chosenBy: { threshold: 'guess', largestComponent: 'run' } } }, "field 'postprocessing.chosenBy'"],
      [{ ...base, classes: [base.classes[0]] }, "field 'classes'"],
      [{ ...base, classes: [base.classes[1], base.classes[0]] }, "field 'classes[0]'"],
      [{ ...base, members: [] }, "field 'members'"],
      [{ ...base, version: 1 }, "field 'version' must be 2"],
      [[], "field 'format'"],
    ];
    for (const [value, message] of bad) {
      expect(() => validateMedsegModel(value, 'm.json'), message).toThrow(ModelLoadError);
      expect(() => validateMedsegModel(value, 'm.json'), message).toThrow(message);
    }
    expect(() => medsegModelJson({ ...base, members: [] }, '/out/medseg-model.json')).toThrow("/out/medseg-model.json: medseg-model.json field 'members'");
  });
});
