import { describe, expect, it } from 'vitest';
import type { CommandModule } from './command.js';
import { ExitCode } from './context.js';
import { run } from './main.js';
import { MedsegError } from '@medseg/data';
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
});
