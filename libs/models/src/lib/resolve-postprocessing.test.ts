import { describe, expect, it } from 'vitest';
import { resolvePostprocessing } from './resolve-postprocessing.js';

const chosen = { threshold: 0.4, largestComponent: true };

describe('resolvePostprocessing', () => {
  it("applies the run's choice, each flag overriding its own setting", () => {
    expect(resolvePostprocessing([chosen], {})).toEqual({ ...chosen, sources: { threshold: 'run', largestComponent: 'run' } });
    expect(resolvePostprocessing([chosen], { largestComponent: false })).toEqual({ threshold: 0.4, largestComponent: false, sources: { threshold: 'run', largestComponent: 'flag' } });
    expect(resolvePostprocessing([chosen, { ...chosen }], { threshold: 0.6 })).toEqual({ threshold: 0.6, largestComponent: true, sources: { threshold: 'flag', largestComponent: 'run' } });
  });

  it('falls back to the defaults, saying why, for old runs and for ensembles that disagree', () => {
    const old = resolvePostprocessing([undefined], {});
    expect(old).toMatchObject({ threshold: 0.5, largestComponent: false, sources: { threshold: 'default', largestComponent: 'default' } });
    expect(old.note).toMatch(/records no post-processing/);
    const mixed = resolvePostprocessing([chosen, { threshold: 0.5, largestComponent: true }], { threshold: 0.3 });
    expect(mixed).toMatchObject({ threshold: 0.3, largestComponent: false, sources: { threshold: 'flag', largestComponent: 'default' } });
    expect(mixed.note).toMatch(/different post-processings/);
    // Both flags given: nothing of the runs is used, so there is nothing to note.
    expect(resolvePostprocessing([undefined], { threshold: 0.5, largestComponent: true }).note).toBeUndefined();
  });
});
