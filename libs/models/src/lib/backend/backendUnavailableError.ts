import { MedsegError } from '@medseg/data';

/** A compute backend that was asked for by name cannot run here; the message says why and what to install. */
export class BackendUnavailableError extends MedsegError {
  readonly backend: string;

  constructor(backend: string, message: string, options: { cause?: unknown } = {}) {
    super(`backend ${backend}: ${message}`, options);
    this.backend = backend;
  }
}
