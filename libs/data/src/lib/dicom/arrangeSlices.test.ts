import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../volume.js';
import { arrangeSlices } from './arrangeSlices.js';
import type { DicomFrameInfo } from './seriesTypes.js';

const axial = [1, 0, 0, 0, 1, 0] as const;

function frame(z: number, overrides: Partial<DicomFrameInfo> = {}): DicomFrameInfo {
  return {
    path: `slice${z}.dcm`,
    frameIndex: 0,
    sopInstanceUid: `1.2.${z}`,
    instanceNumber: Math.round(z),
    rows: 4,
    columns: 5,
    position: [10, 20, z] as Vec3,
    orientation: axial,
    pixelSpacing: [0.5, 0.75],
    rescale: { slope: 1, intercept: 0 },
    window: undefined,
    ...overrides,
  };
}

const kinds = (frames: DicomFrameInfo[]) => arrangeSlices(frames).problems.map((p) => p.kind);

describe('arrangeSlices', () => {
  it('orders slices along the normal whatever the file order, with spacing from positions', () => {
    const result = arrangeSlices([frame(6), frame(0), frame(3), frame(9)]);
    expect(result.slices.map((s) => s.position![2])).toEqual([0, 3, 6, 9]);
    // PixelSpacing is [row spacing, column spacing]; the volume's is [column, row, slice] step.
    expect(result.spacing).toEqual([0.75, 0.5, 3]);
    expect(result.origin).toEqual([10, 20, 0]);
    expect(result.direction).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(result.problems).toEqual([]);
  });

  it('orders by the normal, not by z, for a sagittal series', () => {
    // Rows along +y (anterior→posterior), columns along -z: normal = y × (-z) = -x.
    const sagittal = [0, 1, 0, 0, 0, -1] as const;
    const frames = [2, -4, 0].map((x) => frame(0, { position: [x, 0, 0], orientation: sagittal, path: `x${x}` }));
    const result = arrangeSlices(frames);
    expect(result.slices.map((s) => s.position![0])).toEqual([2, 0, -4]);
    expect(result.direction[2]).toEqual([-1, 0, 0]);
    expect(result.problems.map((p) => p.kind)).toEqual(['uneven-spacing']);
  });

  it('reports missing slices as whole multiples of the spacing', () => {
    const result = arrangeSlices([frame(0), frame(2), frame(4), frame(10), frame(12)]);
    expect(result.spacing[2]).toBe(2);
    expect(result.problems.map((p) => p.kind)).toEqual(['missing-slices']);
    expect(result.problems[0]!.message).toMatch(/^2 slices/);
  });

  it('reports uneven spacing', () => {
    expect(kinds([frame(0), frame(1), frame(2.5), frame(3.5)])).toEqual(['uneven-spacing']);
  });

  it('drops and reports duplicate positions', () => {
    const result = arrangeSlices([frame(0), frame(1), frame(1, { path: 'dup', instanceNumber: 7 }), frame(2)]);
    expect(result.slices).toHaveLength(3);
    expect(result.problems.map((p) => p.kind)).toEqual(['duplicate-position']);
  });

  it('leaves out and reports frames of another orientation or size', () => {
    const tilted = [1, 0, 0, 0, 0.8, 0.6] as const;
    expect(kinds([frame(0), frame(1), frame(2), frame(3, { orientation: tilted })])).toEqual(['mixed-orientation']);
    expect(kinds([frame(0), frame(1), frame(2), frame(3, { rows: 8 })])).toEqual(['mixed-size']);
  });

  it('keeps the sheared geometry of a gantry tilt and reports it', () => {
    // Each slice 1 mm further along z is shifted 1 mm along y: a 45° tilt.
    const frames = [0, 1, 2].map((z) => frame(z, { position: [0, z, z] }));
    const result = arrangeSlices(frames);
    expect(result.problems.map((p) => p.kind)).toEqual(['gantry-tilt']);
    expect(result.problems[0]!.message).toMatch(/45\.00°/);
    expect(result.spacing[2]).toBeCloseTo(Math.SQRT2, 12);
    expect(result.direction[2][1]).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('stacks by instance number and says so when positions are missing', () => {
    const result = arrangeSlices([frame(2, { position: undefined }), frame(1, { position: undefined })], 2.5);
    expect(result.slices.map((s) => s.instanceNumber)).toEqual([1, 2]);
    expect(result.spacing[2]).toBe(2.5);
    expect(result.problems.map((p) => p.kind)).toEqual(['no-position']);
  });
});
