import { setTimeout as sleep } from 'node:timers/promises';
import { DicomWebAuthError, DicomWebError, MultipartError } from './dicomWebErrors.js';

export interface RetryPolicy {
  /** Attempts after the first one for transient failures (default 3). */
  readonly retries: number;
  /** Wait before the first retry, doubled for each next one (default 250 ms). */
  readonly backoffMs: number;
  /** Limit for one attempt, headers and body together (default 60 s). */
  readonly timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, backoffMs: 250, timeoutMs: 60_000 };

export interface DicomWebResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

function describeStatus(status: number, statusText: string): string {
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

/**
 * One attempt: the request and its whole body, within the timeout. Failures come back as DicomWebError with
 * `transient` set where asking again may help (5xx, 429, network errors, timeouts).
 */
async function attempt(url: string, init: RequestInit, timeoutMs: number, what: string): Promise<DicomWebResponse> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `cannot reach the server (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`;
    throw new DicomWebError(reason, { path: what, transient: true, cause: error });
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new DicomWebError(timedOut ? `body not received within ${timeoutMs} ms` : `connection lost while receiving the body (${(error as Error).message})`, { path: what, transient: true, cause: error });
  }
  if (response.status === 401 || response.status === 403) {
    throw new DicomWebAuthError(`${describeStatus(response.status, response.statusText)}: the server refused the credentials (set MEDSEG_DICOMWEB_TOKEN, MEDSEG_DICOMWEB_TOKEN_FILE or MEDSEG_DICOMWEB_USER and MEDSEG_DICOMWEB_PASSWORD)`, { path: what, status: response.status });
  }
  if (response.status >= 400) {
    const transient = response.status >= 500 || response.status === 429 || response.status === 408;
    throw new DicomWebError(describeStatus(response.status, response.statusText), { path: what, transient, status: response.status });
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body };
}

/**
 * Sends a request and reads its body, retrying transient failures with exponential back-off. `accept` turns
 * the response into a result inside the retry loop, so that a body cut short (a MultipartError, or any
 * transient DicomWebError it throws) is asked for again too. `what` names the request in errors; the
 * headers (credentials) never appear in one.
 */
export async function requestWithRetry<T>(
  url: string,
  init: RequestInit,
  policy: RetryPolicy,
  what: string,
  accept: (response: DicomWebResponse) => T,
): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      const response = await attempt(url, init, policy.timeoutMs, what);
      try {
        return accept(response);
      } catch (error) {
        // A body that does not parse as multipart was most likely cut short on the way: worth asking again.
        if (error instanceof MultipartError) throw new DicomWebError(error.message.replace(`${what}: `, ''), { path: what, transient: true, cause: error });
        throw error;
      }
    } catch (error) {
      const transient = error instanceof DicomWebError && error.transient;
      if (!transient || (tries >= policy.retries && tries === 0)) throw error;
      if (tries >= policy.retries) {
        const reason = error.path !== undefined && error.message.startsWith(`${error.path}: `) ? error.message.slice(error.path.length + 2) : error.message;
        throw new DicomWebError(`${reason} (after ${tries + 1} attempts)`, { path: error.path, transient: true, status: error.status, cause: error });
      }
      await sleep(policy.backoffMs * 2 ** tries);
    }
  }
}
