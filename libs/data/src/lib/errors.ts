/**
 * Base of every error that medseg's libraries raise for bad input. It names the file at fault so that a batch
 * job can report it and move on; the CLI prints `message` without a stack.
 */
export class MedsegError extends Error {
  readonly path: string | undefined;

  constructor(message: string, options: { path?: string | undefined; cause?: unknown } = {}) {
    super(options.path === undefined ? message : `${options.path}: ${message}`, { cause: options.cause });
    this.name = new.target.name;
    this.path = options.path;
  }
}

/** A plans.json that cannot be read, is not valid, or was written for another version of the record. */
export class PlanError extends MedsegError {}

/** An output folder that may not be written: it holds something else, or another run's output. */
export class OutputFolderError extends MedsegError {}
