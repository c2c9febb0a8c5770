import { MedsegError } from '../errors.js';

/** An augmentation config that cannot be built: unknown preset or key, a range or probability out of bounds. */
export class AugmentConfigError extends MedsegError {}

/** A batch or plane whose arrays do not match its stated shape. */
export class AugmentInputError extends MedsegError {}
