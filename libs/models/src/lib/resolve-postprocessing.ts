import { defaultPostprocessing, type Postprocessing } from './choose-postprocessing.js';

/** Where a post-processing setting of a prediction came from. */
export type PostprocessingSource = 'run' | 'flag' | 'default';

export interface ResolvedPostprocessing extends Postprocessing {
  readonly sources: { readonly threshold: PostprocessingSource; readonly largestComponent: PostprocessingSource };
  /** Why the run's choice was not used, when it was not. */
  readonly note?: string;
}

/**
 * The post-processing predict applies: each flag given wins; otherwise the models' recorded choice (chosen on
 * validation at the end of training) when every model records one and they agree; otherwise the defaults
 * (threshold 0.5, no cleanup: what predict did before runs recorded a choice), with a note saying why.
 */
export function resolvePostprocessing(recorded: readonly (Postprocessing | undefined)[], flags: { readonly threshold?: number | undefined; readonly largestComponent?: boolean | undefined }): ResolvedPostprocessing {
  let fromRun: Postprocessing | undefined;
  let note: string | undefined;
  const first = recorded[0];
  if (recorded.length === 0 || recorded.some((r) => r === undefined)) {
    note = recorded.length > 1 ? 'not every model records a post-processing chosen on validation: the defaults' : 'the model records no post-processing chosen on validation (trained before it was): the defaults';
  } else if (recorded.some((r) => r!.threshold !== first!.threshold || r!.largestComponent !== first!.largestComponent)) {
    note = `the models chose different post-processings on their validation cases (${recorded.map((r) => `${r!.threshold}/${r!.largestComponent ? 'largest component' : 'all components'}`).join(', ')}): the defaults`;
  } else {
    fromRun = first;
  }
  const pick = <K extends keyof Postprocessing>(key: K, flag: Postprocessing[K] | undefined): [Postprocessing[K], PostprocessingSource] =>
    flag !== undefined ? [flag, 'flag'] : fromRun !== undefined ? [fromRun[key], 'run'] : [defaultPostprocessing[key], 'default'];
  const [threshold, thresholdSource] = pick('threshold', flags.threshold);
  const [largestComponent, componentSource] = pick('largestComponent', flags.largestComponent);
  const flagsOnly = flags.threshold !== undefined && flags.largestComponent !== undefined;
  return { threshold, largestComponent, sources: { threshold: thresholdSource, largestComponent: componentSource }, ...(note === undefined || flagsOnly ? {} : { note }) };
}
