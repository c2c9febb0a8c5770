import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../testing/python.js';
import { EvalInputError } from './errors.js';
import { caseIdOf, resolveInputs } from './resolveInputs.js';

const tmp = tempFolder();
afterAll(() => tmp.dispose());

function touch(path: string): void {
  writeFileSync(path, '');
}

describe('resolveInputs', () => {
  it('matches plain folders by file name without .nii/.nii.gz, and lists what has no partner', async () => {
    const truth = join(tmp.path, 'truth');
    const pred = join(tmp.path, 'pred');
    mkdirSync(truth);
    mkdirSync(pred);
    for (const name of ['a.nii.gz', 'b.nii', 'c.nii.gz', 'notes.txt']) touch(join(truth, name));
    for (const name of ['a.nii', 'b.nii.gz', 'z.nii.gz', '.hidden.nii.gz']) touch(join(pred, name));
    const r = await resolveInputs({ pred, truth });
    expect(r.cases.map((c) => [c.id, basename(c.truth), basename(c.pred)])).toEqual([['a', 'a.nii.gz', 'a.nii'], ['b', 'b.nii', 'b.nii.gz']]);
    expect(caseIdOf('STS_001.nii.gz')).toBe('STS_001');
    expect(r.truthOnly).toEqual(['c']);
    expect(r.predOnly).toEqual(['z']);
    expect(r.truthKind).toBe('folder');
    expect(r.patientIds).toBe('case');
  });

  it('reads a dataset manifest (mask paths, patient ids, class names) and refuses ambiguous or empty matches', async () => {
    const dataset = join(tmp.path, 'ds');
    const pred = join(tmp.path, 'pred2');
    mkdirSync(join(dataset, 'cases', 'x1'), { recursive: true });
    mkdirSync(pred);
    touch(join(dataset, 'cases', 'x1', 'image.nii.gz'));
    writeFileSync(join(dataset, 'manifest.json'), JSON.stringify({ classes: ['background', 'tumour'], cases: [{ id: 'x1', patientId: 'P9' }, { id: 'x2', patientId: 'P9' }] }));
    touch(join(pred, 'x1.nii.gz'));
    const r = await resolveInputs({ pred, truth: dataset });
    expect(r.cases).toEqual([{ id: 'x1', patientId: 'P9', pred: join(pred, 'x1.nii.gz'), truth: join(dataset, 'cases', 'x1', 'mask.nii.gz'), image: join(dataset, 'cases', 'x1', 'image.nii.gz') }]);
    expect(r.classNames).toEqual(['background', 'tumour']);
    expect(r.truthOnly).toEqual(['x2']);
    touch(join(pred, 'x1.nii'));
    await expect(resolveInputs({ pred, truth: dataset })).rejects.toThrow(/two NIfTI files for case "x1"/);
    const unrelated = join(tmp.path, 'unrelated');
    mkdirSync(unrelated);
    touch(join(unrelated, 'q.nii.gz'));
    await expect(resolveInputs({ pred: unrelated, truth: dataset })).rejects.toBeInstanceOf(EvalInputError);
  });
});
