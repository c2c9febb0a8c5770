import { MedsegError } from '@medseg/data';

/** A model folder, checkpoint or weight file that cannot be used as asked. */
export class ModelLoadError extends MedsegError {}

/** Options of a model factory or training run that do not make sense together. */
export class ModelOptionsError extends MedsegError {}

/** Encoder weights that were asked for but cannot be obtained (offline, checksum mismatch). */
export class EncoderWeightsError extends MedsegError {}

/** A data-parallel replica (a worker thread) that failed to start or to answer. */
export class ReplicaError extends MedsegError {}

/** A model that cannot be written in the asked format (a layer without an export, members that cannot share a graph). */
export class ModelExportError extends MedsegError {}

/** An inference engine that was asked for but cannot run here (onnxruntime-node not installed). */
export class EngineUnavailableError extends MedsegError {}
