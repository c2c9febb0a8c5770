import { MedsegError } from '../errors.js';

/**
 * Sizes that a header may claim before medseg allocates for it. Every reader checks what a file declares (rows,
 * columns, frames, NIfTI dims, resampled grids, inflated streams) against these limits and against the bytes
 * actually present, so a small hostile file cannot make it allocate gigabytes.
 */
export interface ResourceLimits {
  /** Voxels (samples) one image, frame stack or resampled grid may hold. */
  readonly maxVoxels: number;
  /** Bytes one inflated stream (deflated data set, deflated frame, gzipped NIfTI) may grow to. */
  readonly maxInflatedBytes: number;
}

/**
 * 2^28 voxels: a 512 x 512 x 1024 CT, 1 GiB as float32; decoding, normalising and resampling such a volume
 * stays within a few GiB, which fits the machines medseg runs on. `--max-voxels` raises or lowers it.
 */
export const DEFAULT_MAX_VOXELS = 2 ** 28;
/** 1 GiB: one inflated stream (a deflated data set, frame or gzipped NIfTI) of 2^28 16-bit voxels fits twice. */
export const DEFAULT_MAX_INFLATED_BYTES = 2 ** 30;

let current: ResourceLimits = { maxVoxels: DEFAULT_MAX_VOXELS, maxInflatedBytes: DEFAULT_MAX_INFLATED_BYTES };

/** The limits in force. */
export function resourceLimits(): ResourceLimits {
  return current;
}

/**
 * Sets the limits for this process (the CLI does it once from `--max-voxels`). Returns the previous ones, so a
 * caller can restore them. Values must be positive integers.
 */
export function setResourceLimits(limits: Partial<ResourceLimits>): ResourceLimits {
  const previous = current;
  const next = { ...current, ...limits };
  for (const [name, value] of Object.entries(next)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  current = next;
  return previous;
}

/** A size in a file is beyond a limit or beyond the bytes present: nothing was allocated for it. */
export class ResourceLimitError extends MedsegError {}

/** Throws `ResourceLimitError` naming the file when `voxels` (what `what` describes) exceeds `maxVoxels`. */
export function checkVoxelLimit(voxels: number, what: string, path: string | undefined): void {
  const { maxVoxels } = current;
  if (!(voxels <= maxVoxels)) {
    throw new ResourceLimitError(`${what} is ${formatCount(voxels)} voxels, over the limit of ${formatCount(maxVoxels)} (--max-voxels)`, { path });
  }
}

function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}
