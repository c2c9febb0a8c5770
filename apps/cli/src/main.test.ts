import { describe, expect, it } from 'vitest';
import type { CommandModule } from './command.js';
import { ExitCode } from './context.js';
import { run } from './main.js';
import { writeFileSync } from 'node:fs';
import { DEFAULT_MAX_VOXELS, MedsegError, resourceLimits } from '@medseg/data';
import { captureContext } from './testing/captureContext.js';

const capture = captureContext;

const failing: CommandModule = {
  name: 'fail',
  summary: 'always fails on its input file',
  configure: (command) => command.argument('<file>'),
  run: async (args) => {
    throw new MedsegError('not a DICOM file', { path: args[0] });
  },
};

describe('run', () => {
  it('exits 0 for --help and lists the commands', async () => {
    const io = capture();
    expect(await run(['--help'], io.context, [failing])).toBe(ExitCode.Ok);
    expect(io.out()).toContain('fail');
  });

  it('exits 2 for an unknown command or a missing argument', async () => {
    expect(await run(['nope'], capture().context, [failing])).toBe(ExitCode.Usage);
    const io = capture();
    expect(await run(['fail'], io.context, [failing])).toBe(ExitCode.Usage);
    expect(io.err()).toMatch(/missing required argument/);
  });

  it('exits 1 and prints the file and the problem, without a stack, when a command throws', async () => {
    const io = capture();
    expect(await run(['fail', 'x.dcm'], io.context, [failing])).toBe(ExitCode.Failure);
    expect(io.err().trim()).toBe('medseg: x.dcm: not a DICOM file');
  });

  it('--max-voxels and MEDSEG_MAX_VOXELS set the limit for the command only; a bad value is a usage error', async () => {
    let seen = 0;
    const probe: CommandModule = { name: 'probe', summary: 'records the limit', configure: (c) => c, run: async () => ((seen = resourceLimits().maxVoxels), ExitCode.Ok) };
    expect(await run(['--max-voxels', '1000', 'probe'], capture().context, [probe])).toBe(ExitCode.Ok);
    expect(seen).toBe(1000);
    expect(resourceLimits().maxVoxels).toBe(DEFAULT_MAX_VOXELS);
    expect(await run(['probe', '--max-voxels', '2000'], capture().context, [probe])).toBe(ExitCode.Ok);
    expect(seen).toBe(2000);
    const io = capture();
    expect(await run(['probe'], { ...io.context, env: { MEDSEG_MAX_VOXELS: '3000' } }, [probe])).toBe(ExitCode.Ok);
    expect(seen).toBe(3000);
    expect(await run(['--max-voxels', '0', 'probe'], capture().context, [probe])).toBe(ExitCode.Usage);
    expect(await run(['probe'], { ...io.context, env: { MEDSEG_MAX_VOXELS: 'lots' } }, [probe])).toBe(ExitCode.Usage);
  });

  it('says a real system error in words with its path, and strips terminal escapes from messages', async () => {
    const full: CommandModule = { name: 'full', summary: 'writes to /dev/full', configure: (c) => c, run: async () => {
      try {
        writeFileSync('/dev/full', 'x');
      } catch (error) {
        (error as NodeJS.ErrnoException).path = '/dev/full';
        throw error;
      }
      return ExitCode.Ok;
    } };
    const io = capture();
    expect(await run(['full'], io.context, [full])).toBe(ExitCode.Failure);
    expect(io.err().trim()).toBe('medseg: /dev/full: cannot write: no space left on the device (ENOSPC)');
    const hostile = capture();
    expect(await run(['fail', '\u001b[2Jx.dcm'], hostile.context, [failing])).toBe(ExitCode.Failure);
    expect(hostile.err().trim()).toBe('medseg: ?[2Jx.dcm: not a DICOM file');
  });
});
