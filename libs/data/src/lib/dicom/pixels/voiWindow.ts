import type { VoxelArray } from '../../volume.js';

/** A VOI window (PS3.3 C.11.2): the centre and width of the value range mapped to the display range. */
export interface VoiWindow {
  readonly center: number;
  readonly width: number;
  readonly explanation?: string;
}

/**
 * Common CT windows in Hounsfield units, as radiology references list them (Radiopaedia "Windowing (CT)"):
 * brain W80 L40, lung W1500 L-600, abdomen (soft tissue) W400 L50, liver W150 L30, bone W1800 L400.
 */
export const windowPresets = {
  brain: { center: 40, width: 80 },
  lung: { center: -600, width: 1500 },
  abdomen: { center: 50, width: 400 },
  liver: { center: 30, width: 150 },
  bone: { center: 400, width: 1800 },
} as const satisfies Record<string, VoiWindow>;

export type WindowPreset = keyof typeof windowPresets;

/**
 * Maps values through the DICOM linear VOI function (PS3.3 C.11.2.1.2.1) to 0..255. With `invert`
 * (MONOCHROME1), low values are bright.
 */
export function applyWindow(values: VoxelArray, window: VoiWindow, options: { invert?: boolean } = {}): Uint8Array {
  const out = new Uint8Array(values.length);
  const c = window.center - 0.5;
  const w = Math.max(window.width, 1) - 1;
  const lower = c - w / 2;
  const upper = c + w / 2;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    let y: number;
    if (x <= lower) y = 0;
    else if (x > upper) y = 255;
    else y = ((x - c) / w + 0.5) * 255;
    const v = Math.round(y);
    out[i] = options.invert ? 255 - v : v;
  }
  return out;
}
