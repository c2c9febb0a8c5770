import cliProgress from 'cli-progress';
import { type CliContext, writeLine } from './context.js';

export interface Progress {
  /** Sets the number of items done, with a short note on the latest one. */
  update(done: number, note?: string): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (cli-progress, on stderr), plain lines in CI and pipes so logs stay readable:
 * one line per item when there are few, otherwise one per tenth of the work.
 */
export function createProgress(context: CliContext, label: string, total: number): Progress {
  if (context.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {note}`, stream: context.stderr as NodeJS.WritableStream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { note: '' });
    return { update: (done, note = '') => bar.update(done, { note }), stop: () => bar.stop() };
  }
  const step = total <= 20 ? 1 : Math.ceil(total / 10);
  let last = 0;
  return {
    update(done, note) {
      if (done - last >= step || done === total) {
        last = done;
        writeLine(context.stderr, `${label}: ${done}/${total}${note ? ` ${note}` : ''}`);
      }
    },
    stop() {
      // Plain lines need no closing; the last update already printed the total.
    },
  };
}
