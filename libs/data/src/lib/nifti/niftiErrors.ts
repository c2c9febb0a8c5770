import { MedsegError } from '../errors.js';

export class NiftiReadError extends MedsegError {}
