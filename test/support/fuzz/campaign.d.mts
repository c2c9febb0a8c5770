// Types of campaign.mjs (plain JavaScript so that bench/fuzz-campaign.mjs can run it without a build step).

export interface FuzzTarget {
  readonly reader: 'dicom' | 'rtstruct' | 'seg' | 'nifti' | 'png' | 'manifest';
  readonly file: string;
  readonly kind: string;
  readonly shape?: readonly [number, number, number];
}

export type FuzzOutcome = 'ok' | 'typed' | 'untyped' | 'crash' | 'hang' | 'over-cap' | 'wrote-outside';

export interface FuzzResult {
  readonly index: number;
  readonly reader: FuzzTarget['reader'];
  readonly mutation: string;
  readonly target: string;
  readonly outcome: FuzzOutcome;
  readonly error?: string;
  readonly message?: string;
  readonly peakMb: number;
}

export interface FuzzCampaignOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly maxInputs?: number;
  /** Run only these input indices (to replay failures). */
  readonly indices?: readonly number[];
  readonly concurrency?: number;
  /** Resident memory cap per child, MB (polled from /proc and checked against the child's peak). */
  readonly capMb?: number;
  /** V8 heap cap per child (--max-old-space-size), MB. */
  readonly heapMb?: number;
  /** CPU milliseconds one input may use before it counts as a hang. */
  readonly timeoutMs?: number;
  /** The child's --max-voxels (its inflation cap is 4 bytes per voxel). */
  readonly maxVoxels?: number;
  readonly workRoot: string;
  /** ../shared/data */
  readonly sharedData: string;
  readonly onResult?: (result: FuzzResult) => void;
}

export interface FuzzSummary {
  readonly seed: number;
  readonly inputs: number;
  readonly seconds: number;
  readonly outcomes: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly readers: Record<string, number>;
  readonly peakMb: number;
  readonly failures: FuzzResult[];
  readonly results: FuzzResult[];
}

export const targets: readonly FuzzTarget[];
export function runCampaign(options: FuzzCampaignOptions): Promise<FuzzSummary>;
