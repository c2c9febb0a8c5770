import { MedsegError } from '@medseg/data';

/** Prediction and truth cannot be compared: missing files, mismatched grids, unreadable label maps. */
export class EvalInputError extends MedsegError {}

/** A metric was called with arguments it cannot work with (mismatched lengths, a bad shape or spacing). */
export class MetricArgumentError extends MedsegError {}
