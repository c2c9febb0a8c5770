import { MedsegError } from '../errors.js';

/** A mask file that cannot be read or does not fit its image (wrong object, missing ROI, other series). */
export class MaskError extends MedsegError {}
