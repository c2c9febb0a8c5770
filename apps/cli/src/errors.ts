import { MedsegError, describeSystemError } from '@medseg/data';

/**
 * Users see a message that names the file and the problem; a stack only with MEDSEG_DEBUG=1. System errors
 * (ENOSPC, EACCES, EROFS, ENAMETOOLONG, ...) are said in words with the path they were about.
 */
export function formatError(error: unknown, debug: boolean): string {
  if (debug && error instanceof Error && error.stack) return error.stack;
  if (error instanceof MedsegError) return `medseg: ${error.message}`;
  const system = describeSystemError(error);
  if (system !== undefined) return `medseg: ${system}`;
  if (error instanceof Error) return `medseg: ${error.name}: ${error.message}`;
  return `medseg: ${String(error)}`;
}

/** A usage problem found after parsing (a missing required option, a bad value, conflicting options): exit code 2. A path that does not exist is an input error (exit 1), never this. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
