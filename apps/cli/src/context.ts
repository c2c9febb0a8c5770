import type { Writable } from 'node:stream';

/**
 * Everything a command may touch of the outside world. Commands take it as an argument so that tests can run
 * them in-process and read what they printed; only `bin/medseg.js` builds one from `process`.
 */
export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** True when stderr is a terminal: progress bars instead of plain lines. */
  readonly isTTY: boolean;
  /** The command line being run (`medseg` and its arguments), for run records; set by `run()`. */
  readonly argv?: readonly string[];
  /** Where the running command's option got its value (commander's `getOptionValueSource`: 'cli', 'env', 'default', ...). */
  readonly optionSource?: (name: string) => string | undefined;
}

export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Writes one line of output. Control characters other than newlines and tabs (ANSI escapes, carriage returns,
 * bidi overrides) are replaced: text from files never moves the cursor or clears the screen. Data strings that
 * could hold newlines go through `printable` where they are formatted, so they cannot forge lines either.
 */
export function writeLine(stream: Writable, text = ''): void {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  stream.write(`${text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?')}\n`);
}
