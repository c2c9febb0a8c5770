import { MedsegError } from '@medseg/data';

/** A web site that cannot be exported or served from what was given; carries the offending path. */
export class WebExportError extends MedsegError {}
