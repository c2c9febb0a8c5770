import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianPython, sharedPath } from '@medseg/data/testing';
import { ExitCode } from '../context.js';
import { run } from '../main.js';
import { evalCommand } from './eval.js';
import { captureContext } from '../testing/captureContext.js';

const capture = captureContext;

const ids = ['STS_001', 'STS_002', 'STS_003'];
let root = '';
let expected: Record<string, { dice: number; hd95: number | null; assd: number | null }> = {};

/**
 * Truth: the IBSI masks of three patients, as a plain folder and as a dataset folder (manifest with patient
 * ids). Predictions written by nibabel: shifted, dilated, and empty; a second run eroded. The expected Dice,
 * HD95 and ASSD come from numpy/scipy on the same files.
 */
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'medseg-eval-cli-'));
  for (const folder of ['truth', 'images', 'dataset']) mkdirSync(join(root, folder));
  const manifest = { schemaVersion: 1, classes: ['background', 'sarcoma'], cases: [] as unknown[] };
  ids.forEach((id, i) => {
    symlinkSync(sharedPath(`data/sts/nifti/${id}/MR_T1_mask.nii.gz`), join(root, 'truth', `${id}.nii.gz`));
    symlinkSync(sharedPath(`data/sts/nifti/${id}/MR_T1_image.nii.gz`), join(root, 'images', `${id}.nii.gz`));
    mkdirSync(join(root, 'dataset', 'cases', id), { recursive: true });
    symlinkSync(sharedPath(`data/sts/nifti/${id}/MR_T1_mask.nii.gz`), join(root, 'dataset', 'cases', id, 'mask.nii.gz'));
    symlinkSync(sharedPath(`data/sts/nifti/${id}/MR_T1_image.nii.gz`), join(root, 'dataset', 'cases', id, 'image.nii.gz'));
    manifest.cases.push({ id, patientId: i < 2 ? 'P1' : 'P2' });
  });
  writeFileSync(join(root, 'dataset', 'manifest.json'), JSON.stringify(manifest));
  const script = `
import json, sys, os
import numpy as np, nibabel as nib
from scipy.ndimage import binary_erosion, binary_dilation, distance_transform_edt, generate_binary_structure
root, ids = sys.argv[1], sys.argv[2:]
st = generate_binary_structure(3, 1)
os.makedirs(os.path.join(root, 'pred')); os.makedirs(os.path.join(root, 'other'))
out = {}
for k, i in enumerate(ids):
    img = nib.load(os.path.join(root, 'truth', i + '.nii.gz'))
    t = np.asanyarray(img.dataobj) > 0
    p = [np.roll(t, 2, axis=0), binary_dilation(t, st), np.zeros_like(t)][k]
    o = binary_erosion(t, st)
    for folder, m in (('pred', p), ('other', o)):
        nib.save(nib.Nifti1Image(m.astype(np.uint8), img.affine, img.header), os.path.join(root, folder, i + '.nii.gz'))
    z = [float(v) for v in img.header.get_zooms()[:3]]
    dice = 2 * np.sum(p & t) / (p.sum() + t.sum())
    if p.any():
        sp, stt = p ^ binary_erosion(p, st), t ^ binary_erosion(t, st)
        a = distance_transform_edt(~stt, sampling=z)[sp]; b = distance_transform_edt(~sp, sampling=z)[stt]
        out[i] = dict(dice=float(dice), hd95=float(max(np.percentile(a, 95), np.percentile(b, 95))), assd=float(np.concatenate([a, b]).mean()))
    else:
        out[i] = dict(dice=float(dice), hd95=None, assd=None)
print(json.dumps(out))
`;
  const result = spawnSync(debianPython, ['-c', script, root, ...ids], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  expected = JSON.parse(result.stdout) as typeof expected;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface CaseJson {
  case: string;
  class: number;
  patient: string;
  dice: number | null;
  hd95: number | null;
  assd: number | null;
  hd: number | null;
  empty: string;
}

describe('medseg eval', () => {
  it('evaluates a plain folder against scipy, writes metrics.json, metrics.csv and report.html, and prints a summary', async () => {
    const io = capture();
    const out = join(root, 'report-plain');
    const code = await run(['eval', '--pred', join(root, 'pred'), '--truth', join(root, 'truth'), '--images', join(root, 'images'), '--out', out], io.context, [evalCommand]);
    expect(code, io.err()).toBe(ExitCode.Ok);
    // Staged beside and renamed into place: exactly the three outputs and medseg's marker, no leftovers.
    expect(readdirSync(out).sort()).toEqual(['.medseg-output.json', 'metrics.csv', 'metrics.json', 'report.html']);
    expect(readdirSync(root).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    const doc = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { settings: Record<string, unknown> & { notes: string[] }; cases: CaseJson[]; aggregate: Record<string, unknown> };
    expect(doc.cases.map((c) => c.case)).toEqual(ids);
    for (const c of doc.cases) {
      const e = expected[c.case]!;
      expect(Math.abs(c.dice! - e.dice)).toBeLessThan(1e-9);
      if (e.hd95 === null) {
        expect(c.hd95).toBeNull();
        expect(c.assd).toBeNull();
      } else {
        expect(Math.abs(c.hd95! - e.hd95)).toBeLessThan(1e-6);
        expect(Math.abs(c.assd! - e.assd!)).toBeLessThan(1e-6);
      }
    }
    expect(doc.settings['empty_rule']).toBe('nan');
    expect(doc.settings.notes.join('\n')).toMatch(/hd95: 1 null value \(infinite: the prediction is empty\)/);
    expect(doc.settings.notes.join('\n')).toMatch(/each case is its own patient/);
    expect(doc.settings.notes.join('\n')).toMatch(/no predictions\.json: every NIfTI file in it was scored/);
    expect(Object.keys(doc.aggregate)).toEqual(['per_case', 'per_patient', 'per_slice']);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + ids.length);
    expect(csv[0]).toMatch(/^case,patient,class,class_name,empty,dice,iou,precision,recall,specificity,hd,hd95,assd,surface_dice,volume_diff/);
    expect(csv[3]).toContain(',inf,');
    expect(io.out()).toMatch(/3 cases, 1 class; empty rule 'nan'/);
    expect(io.out()).toMatch(/wrote .*metrics\.json/);
  });

  it('reads a dataset folder (patients from the manifest), adds the paired comparison, and prints JSON', async () => {
    const io = capture();
    const out = join(root, 'report-dataset');
    const code = await run(
      ['eval', '--pred', join(root, 'pred'), '--truth', join(root, 'dataset'), '--out', out, '--compare', join(root, 'other'), '--empty', 'one', '--json', '--no-per-slice'],
      io.context,
      [evalCommand],
    );
    expect(code, io.err()).toBe(ExitCode.Ok);
    const printed = JSON.parse(io.out()) as { files: { json: string }; settings: Record<string, unknown>; cases: CaseJson[]; comparison: { paired: Record<string, Record<string, { n: number; mean_diff: number }>> }; aggregate: Record<string, Record<string, Record<string, { n: number }>>> };
    expect(printed.files.json).toBe(join(out, 'metrics.json'));
    expect(printed.settings['truth_kind']).toBe('dataset');
    expect(printed.settings['empty_rule']).toBe('one');
    expect((printed.settings['class_names'] as Record<string, string>)['1']).toBe('sarcoma');
    expect(printed.cases.map((c) => c.patient)).toEqual(['P1', 'P1', 'P2']);
    expect(printed.aggregate['per_patient']!['1']!['dice']!.n).toBe(2);
    const paired = printed.comparison.paired['1']!['dice']!;
    expect(paired.n).toBe(3);
    expect(Object.keys(printed.aggregate)).toEqual(['per_case', 'per_patient']);
  });

  it('exits 2 on bad options and 1, naming the folder, when the prediction folder is missing', async () => {
    const bad = capture();
    expect(await run(['eval', '--pred', 'a', '--truth', 'b', '--out', 'c', '--empty', 'zero'], bad.context, [evalCommand])).toBe(ExitCode.Usage);
    expect(bad.err()).toMatch(/--empty/);
    const missing = capture();
    const code = await run(['eval', '--pred', join(root, 'nope'), '--truth', join(root, 'truth'), '--out', join(root, 'x')], missing.context, [evalCommand]);
    expect(code).toBe(ExitCode.Failure);
    expect(missing.err()).toContain(join(root, 'nope'));
  });

  it("scores exactly the cases predictions.json lists, refuses an unfinished prediction unless --partial, and never mixes reports", async () => {
    const pred = join(root, 'pred-listed');
    mkdirSync(pred);
    // Three label maps in the folder, two listed: a file left from another prediction must not be scored.
    for (const id of ids) symlinkSync(join(root, 'pred', `${id}.nii.gz`), join(pred, `${id}.nii.gz`));
    const listing = (status: string) =>
      writeFileSync(join(pred, 'predictions.json'), JSON.stringify({ format: 'medseg-predictions', status, cases: ids.slice(0, 2).map((id) => ({ id, files: { nifti: `${id}.nii.gz`, png: [] } })) }));
    listing('complete');
    const out = join(root, 'report-listed');
    const first = capture();
    expect(await run(['eval', '--pred', pred, '--truth', join(root, 'truth'), '--out', out, '--json'], first.context, [evalCommand]), first.err()).toBe(ExitCode.Ok);
    const doc = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { settings: { notes: string[] }; cases: CaseJson[] };
    expect(doc.cases.map((c) => c.case)).toEqual(ids.slice(0, 2));
    expect(doc.settings.notes.join('\n')).toContain("scored exactly the cases listed in the prediction folder's predictions.json");
    for (const c of doc.cases) expect(Math.abs(c.dice! - expected[c.case]!.dice)).toBeLessThan(1e-9);

    // The same --out again is refused before any work; --overwrite replaces the report whole.
    const again = capture();
    expect(await run(['eval', '--pred', pred, '--truth', join(root, 'truth'), '--out', out], again.context, [evalCommand])).toBe(ExitCode.Failure);
    expect(again.err()).toContain(`${out}: already holds the output of an earlier 'medseg eval'; pass --overwrite to replace it`);

    listing('in-progress');
    const unfinished = capture();
    expect(await run(['eval', '--pred', pred, '--truth', join(root, 'truth'), '--out', out, '--overwrite'], unfinished.context, [evalCommand])).toBe(ExitCode.Failure);
    expect(unfinished.err()).toContain(`${pred}: the prediction folder is incomplete`);
    expect(unfinished.err()).toContain('--partial');
    const partial = capture();
    expect(await run(['eval', '--pred', pred, '--truth', join(root, 'truth'), '--out', out, '--overwrite', '--partial'], partial.context, [evalCommand]), partial.err()).toBe(ExitCode.Ok);
    const partialDoc = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { settings: { notes: string[] } };
    expect(partialDoc.settings.notes.join('\n')).toContain('PARTIAL');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('PARTIAL');
    expect(readdirSync(root).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });
});
