import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DicomWebClient, dicomWebAuthorization, type RetrieveDicomWebResult, retrieveDicomWeb } from '@medseg/data';
import type { Command } from 'commander';
import { type CliContext, writeLine } from './context.js';
import { integer, positive } from './options.js';
import { createProgress } from './progress.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The options that take a command's DICOM input from a DICOMweb server instead of a folder. */
export function addDicomWebOptions(command: Command): Command {
  return command
    .option('--dicomweb <url>', 'DICOMweb base URL to take the series from (QIDO-RS, WADO-RS); credentials from MEDSEG_DICOMWEB_TOKEN[_FILE] or MEDSEG_DICOMWEB_USER/_PASSWORD')
    .option('--study <uid>', 'with --dicomweb: a study to take (repeatable)', collect, [])
    .option('--series <uid>', 'with --dicomweb: a series to take (repeatable)', collect, [])
    .option('--query <matches>', "with --dicomweb: QIDO-RS series matches, 'Modality=MR&StudyDate=20200101-' (repeatable)", collect, [])
    .option('--cache <dir>', 'with --dicomweb: download cache, by SOPInstanceUID (default $MEDSEG_CACHE/dicomweb or ~/.cache/medseg/dicomweb)')
    .option('--token-file <path>', 'with --dicomweb: file holding a bearer token')
    .option('--concurrency <n>', 'with --dicomweb: requests at once', integer(1), 4)
    .option('--request-timeout <s>', 'with --dicomweb/--store: seconds one request may take before it is retried', positive, 60);
}

function defaultCache(env: CliContext['env']): string {
  if (env['MEDSEG_CACHE']) return join(resolve(env['MEDSEG_CACHE']), 'dicomweb');
  if (env['XDG_CACHE_HOME']) return join(resolve(env['XDG_CACHE_HOME']), 'medseg', 'dicomweb');
  return join(homedir(), '.cache', 'medseg', 'dicomweb');
}

/** A client for `url` with the credentials from the environment or `--token-file`. */
export async function dicomWebClient(url: string, options: Record<string, unknown>, context: CliContext): Promise<DicomWebClient> {
  const tokenFile = options['tokenFile'] === undefined ? undefined : resolve(context.cwd, String(options['tokenFile']));
  const timeoutMs = Math.round((options['requestTimeout'] as number | undefined ?? 60) * 1000);
  return new DicomWebClient({ url, authorization: await dicomWebAuthorization(context.env, tokenFile), retry: { timeoutMs } });
}

/**
 * Retrieves the selected series into the cache and returns the folder that holds them, reporting progress and
 * every instance that could not be retrieved on stderr.
 */
export async function dicomWebInput(
  options: Record<string, unknown>,
  context: CliContext,
  settings: { masks: boolean; seriesFilter?: (seriesInstanceUid: string) => boolean },
): Promise<RetrieveDicomWebResult> {
  const client = await dicomWebClient(String(options['dicomweb']), options, context);
  const cache = options['cache'] === undefined ? defaultCache(context.env) : resolve(context.cwd, String(options['cache']));
  let progress: ReturnType<typeof createProgress> | undefined;
  const result = await retrieveDicomWeb({
    client,
    cache,
    selection: { studies: options['study'] as string[], series: options['series'] as string[], queries: options['query'] as string[] },
    masks: settings.masks,
    ...(settings.seriesFilter === undefined ? {} : { seriesFilter: settings.seriesFilter }),
    concurrency: options['concurrency'] as number,
    onProgress: (event) => {
      progress ??= createProgress(context, 'retrieve', event.total);
      progress.update(event.done, `${event.fetched} fetched, ${event.reused} cached`);
    },
  });
  progress?.stop();
  writeLine(context.stderr, `dicomweb: ${result.series.length} series, ${result.instances} instances (${result.fetched} fetched, ${result.reused} from the cache ${cache})`);
  for (const failure of result.failed) writeLine(context.stderr, `medseg: ${failure.path}: ${failure.reason}`);
  if (result.failed.length > 0) writeLine(context.stderr, `medseg: ${result.failed.length} instance(s) not retrieved, their series left out; rerun to fetch only what is missing`);
  return result;
}
