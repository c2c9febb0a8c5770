import { describe, expect, it } from 'vitest';
import { describePostprocessing, resolvePostprocessing } from './resolve-postprocessing.js';

const chosen = { threshold: 0.4, largestComponent: true };

describe('resolvePostprocessing', () => {
  it("applies the run's choice, each flag overriding its own setting", () => {
    // A run recorded before TTA was a candidate chose it off.
    expect(resolvePostprocessing([chosen], {})).toEqual({ ...chosen, tta: false, sources: { threshold: 'run', largestComponent: 'run', tta: 'run' } });
    expect(resolvePostprocessing([chosen], { largestComponent: false })).toEqual({ threshold: 0.4, largestComponent: false, tta: false, sources: { threshold: 'run', largestComponent: 'flag', tta: 'run' } });
    expect(resolvePostprocessing([chosen, { ...chosen }], { threshold: 0.6 })).toEqual({ threshold: 0.6, largestComponent: true, tta: false, sources: { threshold: 'flag', largestComponent: 'run', tta: 'run' } });
    const mirrored = { ...chosen, tta: true };
    expect(resolvePostprocessing([mirrored, mirrored], {})).toMatchObject({ tta: true, sources: { tta: 'run' } });
    expect(resolvePostprocessing([mirrored], { tta: false })).toMatchObject({ tta: false, sources: { tta: 'flag' } });
    expect(describePostprocessing(mirrored, { threshold: 'run', largestComponent: 'flag', tta: 'run' })).toBe('threshold 0.4 (run), largest component on (flag), flip TTA on (run)');
  });

  it('falls back to the defaults, saying why, for old runs and for ensembles that disagree', () => {
    const old = resolvePostprocessing([undefined], {});
    expect(old).toMatchObject({ threshold: 0.5, largestComponent: false, sources: { threshold: 'default', largestComponent: 'default' } });
    expect(old.note).toMatch(/records no post-processing/);
    const mixed = resolvePostprocessing([chosen, { threshold: 0.5, largestComponent: true }], { threshold: 0.3 });
    expect(mixed).toMatchObject({ threshold: 0.3, largestComponent: false, sources: { threshold: 'flag', largestComponent: 'default' } });
    expect(mixed.note).toMatch(/different post-processings/);
    // Members that agree on all but TTA disagree.
    expect(resolvePostprocessing([chosen, { ...chosen, tta: true }], {})).toMatchObject({ tta: false, sources: { tta: 'default' }, note: expect.stringMatching(/0.4\/largest component\/TTA/) as unknown });
    // Both flags given: nothing of the runs is used, so there is nothing to note.
    expect(resolvePostprocessing([undefined], { threshold: 0.5, largestComponent: true, tta: false }).note).toBeUndefined();
  });
});
