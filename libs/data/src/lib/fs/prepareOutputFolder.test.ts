import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputFolderError } from '../errors.js';
import { checkOutputFile, checkOutputFolder, OUTPUT_MARKER, prepareOutputFolder } from './prepareOutputFolder.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'medseg-output-'));

describe('prepareOutputFolder', () => {
  it('creates and marks an absent folder, refuses its own output without --resume/--overwrite and any foreign one', async () => {
    const root = fresh();
    const out = join(root, 'run');
    const first = await prepareOutputFolder(out, { kind: 'train', resumable: true });
    expect(first.work).toBe(out);
    expect(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8'))).toEqual({ kind: 'train' });
    writeFileSync(join(out, 'weights.bin'), 'old');
    await expect(prepareOutputFolder(out, { kind: 'train', resumable: true })).rejects.toThrow(
      `${out}: already holds the output of an earlier 'medseg train'; pass --resume to continue it or --overwrite to replace it`,
    );
    expect((await prepareOutputFolder(out, { kind: 'train', resume: true })).resumed).toBe(true);
    await expect(prepareOutputFolder(out, { kind: 'predict' })).rejects.toThrow("holds the output of 'medseg train'");
    const foreign = join(root, 'photos');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'a.jpg'), 'x');
    await expect(prepareOutputFolder(foreign, { kind: 'predict' })).rejects.toBeInstanceOf(OutputFolderError);
    await expect(checkOutputFolder(foreign, { kind: 'predict' })).rejects.toThrow('is not empty and was not written by medseg');
    expect(readdirSync(foreign)).toEqual(['a.jpg']);
    // An output from before the marker, recognised by the command: continued with resume.
    const legacy = join(root, 'legacy');
    mkdirSync(join(legacy, 'last'), { recursive: true });
    const isOwn = async (path: string) => readdirSync(path).includes('last');
    expect((await prepareOutputFolder(legacy, { kind: 'train', resume: true, isOwn })).resumed).toBe(true);
  });

  it('--overwrite writes beside and swaps the new output in whole; the old stays until commit', async () => {
    const root = fresh();
    const out = join(root, 'pred');
    await prepareOutputFolder(out, { kind: 'predict' });
    writeFileSync(join(out, 'OLD_CASE.nii.gz'), 'old');
    const next = await prepareOutputFolder(out, { kind: 'predict', overwrite: true });
    expect(next.work).not.toBe(out);
    writeFileSync(join(next.work, 'NEW_CASE.nii.gz'), 'new');
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'OLD_CASE.nii.gz']);
    await next.commit();
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'NEW_CASE.nii.gz']);
    expect(readdirSync(root)).toEqual(['pred']);
    // staged: even a new folder appears only at commit.
    const report = join(root, 'report');
    const staged = await prepareOutputFolder(report, { kind: 'eval', staged: true });
    expect(readdirSync(root).includes('report')).toBe(false);
    await staged.commit();
    expect(readdirSync(report)).toEqual([OUTPUT_MARKER]);
  });

  it('checkOutputFile refuses an existing file unless overwrite, and a folder always', async () => {
    const root = fresh();
    const file = join(root, 'sheet.png');
    await checkOutputFile(file);
    writeFileSync(file, 'x');
    await expect(checkOutputFile(file)).rejects.toThrow(`${file}: already exists; pass --overwrite`);
    await checkOutputFile(file, { overwrite: true });
    await expect(checkOutputFile(root, { overwrite: true })).rejects.toThrow('is a folder');
  });
});
