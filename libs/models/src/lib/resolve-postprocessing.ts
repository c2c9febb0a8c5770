import { defaultPostprocessing, type Postprocessing } from './choose-postprocessing.js';

/** Where a post-processing setting of a prediction came from. */
export type PostprocessingSource = 'run' | 'flag' | 'default';

/** Every setting resolved (tta always present: false when neither the run nor a flag turns it on). */
export interface ResolvedPostprocessing extends Required<Postprocessing> {
  readonly sources: { readonly threshold: PostprocessingSource; readonly largestComponent: PostprocessingSource; readonly tta: PostprocessingSource };
  /** Why the run's choice was not used, when it was not. */
  readonly note?: string;
}

export type PostprocessingFlags = { readonly [K in keyof Postprocessing]?: Postprocessing[K] | undefined };

const complete = (p: Postprocessing): Required<Postprocessing> => ({ threshold: p.threshold, largestComponent: p.largestComponent, tta: p.tta ?? false });
const describe = (p: Required<Postprocessing>) => `${p.threshold}/${p.largestComponent ? 'largest component' : 'all components'}${p.tta ? '/TTA' : ''}`;

/**
 * The post-processing predict applies: each flag given wins; otherwise the models' recorded choice (chosen on
 * validation at the end of training) when every model records one and they agree; otherwise the defaults
 * (threshold 0.5, no cleanup, no TTA: what predict did before runs recorded a choice), with a note saying why.
 * A run recorded before TTA was a candidate chose it off.
 */
export function resolvePostprocessing(recorded: readonly (Postprocessing | undefined)[], flags: PostprocessingFlags): ResolvedPostprocessing {
  let fromRun: Required<Postprocessing> | undefined;
  let note: string | undefined;
  if (recorded.length === 0 || recorded.some((r) => r === undefined)) {
    note = recorded.length > 1 ? 'not every model records a post-processing chosen on validation: the defaults' : 'the model records no post-processing chosen on validation (trained before it was): the defaults';
  } else {
    const all = recorded.map((r) => complete(r!));
    if (all.some((r) => describe(r) !== describe(all[0]!))) note = `the models chose different post-processings on their validation cases (${all.map(describe).join(', ')}): the defaults`;
    else fromRun = all[0];
  }
  const defaults = complete(defaultPostprocessing);
  const pick = <K extends keyof Postprocessing>(key: K): [Required<Postprocessing>[K], PostprocessingSource] => {
    const flag = flags[key] as Required<Postprocessing>[K] | undefined;
    return flag !== undefined ? [flag, 'flag'] : fromRun !== undefined ? [fromRun[key], 'run'] : [defaults[key], 'default'];
  };
  const [threshold, thresholdSource] = pick('threshold');
  const [largestComponent, componentSource] = pick('largestComponent');
  const [tta, ttaSource] = pick('tta');
  const flagsOnly = flags.threshold !== undefined && flags.largestComponent !== undefined && flags.tta !== undefined;
  return { threshold, largestComponent, tta, sources: { threshold: thresholdSource, largestComponent: componentSource, tta: ttaSource }, ...(note === undefined || flagsOnly ? {} : { note }) };
}

/** `threshold 0.4 (run), largest component on (flag), flip TTA off (default)`: how predict and export report it. */
export function describePostprocessing(p: Postprocessing, sources?: Partial<ResolvedPostprocessing['sources']>): string {
  const by = (source: PostprocessingSource | undefined) => (source === undefined ? '' : ` (${source})`);
  return `threshold ${p.threshold}${by(sources?.threshold)}, largest component ${p.largestComponent ? 'on' : 'off'}${by(sources?.largestComponent)}, flip TTA ${p.tta === true ? 'on' : 'off'}${by(sources?.tta)}`;
}
