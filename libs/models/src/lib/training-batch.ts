/**
 * A batch of slices [count, height, width], row-major, one channel (what augmentation pipelines take and give),
 * or with context slices [count, height, width, channels], channels last; masks are always one channel.
 */
export interface TrainingBatch {
  images: Float32Array;
  masks: Uint8Array;
  count: number;
  height: number;
  width: number;
  /** Input channels per pixel; 1 when absent. */
  channels?: number;
}
