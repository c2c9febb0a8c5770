import { getString } from '../dicom/dicomValues.js';
import { parseDicomBytes } from '../dicom/parseDicom.js';
import { Tag } from '../dicom/tags.js';
import { DicomWebError } from './dicomWebErrors.js';
import { type DicomWebResponse, defaultRetryPolicy, type RetryPolicy, requestWithRetry } from './dicomWebRequest.js';
import { checkedUid } from './dicomWebUid.js';
import { encodeMultipartRelated, multipartBoundary, parseMultipartRelated } from './multipartRelated.js';

/** A QIDO-RS result: DICOM JSON (PS3.18 F.2), attributes by 8-digit hex tag. */
export type DicomJson = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

export interface DicomWebClientOptions {
  /** Base URL of the DICOMweb service (the path that `/studies` follows), without credentials in it. */
  readonly url: string;
  /** A full Authorization header value (`Basic ...` or `Bearer ...`); sent, never shown. */
  readonly authorization?: string | undefined;
  readonly retry?: Partial<RetryPolicy>;
  /** QIDO-RS results asked for per request (`limit`/`offset` paging; default 1000): servers cap result lists. */
  readonly pageSize?: number;
}

export interface SeriesRef {
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly modality: string | undefined;
  /** PatientID, when the server includes it in series results (asked for with includefield). */
  readonly patientId?: string;
}

export interface InstanceRef extends SeriesRef {
  readonly sopInstanceUid: string;
}

export interface StoreResult {
  readonly stored: readonly { sopInstanceUid: string; url: string | undefined }[];
  readonly failed: readonly { sopInstanceUid: string; reason: string }[];
}

/** The first value of a DICOM JSON attribute as a string. */
export function jsonString(item: DicomJson, tag: string): string | undefined {
  const value = item[tag]?.Value?.[0];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** WADO-RS Accept values, most preferred first: the object as stored, else whatever the server sends by default. */
const retrieveAccept = ['multipart/related; type="application/dicom"; transfer-syntax=*', 'multipart/related; type="application/dicom"'];

/**
 * The three DICOMweb services on Node's `fetch`: QIDO-RS search, WADO-RS instance retrieval and STOW-RS
 * store, each retried with back-off on transient failures. Holds no state but its options.
 *
 * Why not `dicomweb-client` (DCMJS): it is built on XMLHttpRequest, which Node lacks, so it would need a
 * polyfill, and it gives no say over timeouts, retries or how a cut multipart body is detected. The three
 * requests are small on `fetch`; the multipart parser is ours too (`multipartRelated.ts`), because one
 * instance per request keeps bodies bounded and we want strict truncation checks (closing delimiter,
 * Content-Length) rather than a streaming parser's leniency.
 */
export class DicomWebClient {
  readonly url: string;
  readonly #authorization: string | undefined;
  readonly #retry: RetryPolicy;
  readonly #pageSize: number;

  constructor(options: DicomWebClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new DicomWebError('not a URL', { path: options.url });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DicomWebError('expected an http:// or https:// DICOMweb URL', { path: options.url });
    if (parsed.username !== '' || parsed.password !== '') {
      throw new DicomWebError('credentials in the URL would end up in logs and records: pass them in MEDSEG_DICOMWEB_USER/MEDSEG_DICOMWEB_PASSWORD or a token instead', { path: `${parsed.protocol}//${parsed.host}${parsed.pathname}` });
    }
    this.url = parsed.href.replace(/\/+$/, '');
    this.#authorization = options.authorization;
    this.#retry = { ...defaultRetryPolicy, ...options.retry };
    this.#pageSize = options.pageSize ?? 1000;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1) throw new DicomWebError(`pageSize must be an integer >= 1, got ${this.#pageSize}`, { path: options.url });
  }

  #headers(accept: string, extra: Record<string, string> = {}): Record<string, string> {
    return { accept, ...extra, ...(this.#authorization === undefined ? {} : { authorization: this.#authorization }) };
  }

  /**
   * All results of a search, page by page: a page shorter than asked for is the last. A server that ignores
   * `offset` (the same first result again) or `limit` (more than asked for) is taken at its first answer.
   */
  async #search(path: string, query: URLSearchParams): Promise<DicomJson[]> {
    const results: DicomJson[] = [];
    for (let offset = 0; ; offset += this.#pageSize) {
      const paged = new URLSearchParams(query);
      paged.set('limit', String(this.#pageSize));
      if (offset > 0) paged.set('offset', String(offset));
      const page = await this.#searchPage(path, paged);
      if (offset > 0 && page.length > 0 && JSON.stringify(page[0]) === JSON.stringify(results[0])) break;
      results.push(...page);
      if (page.length !== this.#pageSize) break;
    }
    return results;
  }

  async #searchPage(path: string, query: URLSearchParams): Promise<DicomJson[]> {
    const search = query.toString();
    const url = `${this.url}${path}${search ? `?${search}` : ''}`;
    return requestWithRetry(url, { headers: this.#headers('application/dicom+json') }, this.#retry, url, (response: DicomWebResponse) => {
      if (response.status === 204 || response.body.length === 0) return [];
      let items: unknown;
      try {
        items = JSON.parse(Buffer.from(response.body).toString('utf8'));
      } catch (error) {
        throw new DicomWebError('QIDO-RS answer is not JSON', { path: url, cause: error });
      }
      if (!Array.isArray(items)) throw new DicomWebError('QIDO-RS answer is not a JSON array', { path: url });
      return items as DicomJson[];
    });
  }

  /** QIDO-RS series search, across studies or within one; `query` holds attribute matches (`Modality=MR`). */
  async searchSeries(query: URLSearchParams = new URLSearchParams(), studyInstanceUid?: string): Promise<SeriesRef[]> {
    const path = studyInstanceUid === undefined ? '/series' : `/studies/${checkedUid(studyInstanceUid, 'StudyInstanceUID')}/series`;
    const search = new URLSearchParams(query);
    search.append('includefield', '00100020');
    return (await this.#search(path, search)).map((item) => ({
      studyInstanceUid: checkedUid(jsonString(item, '0020000D') ?? studyInstanceUid, 'StudyInstanceUID of a QIDO-RS series', this.url + path),
      seriesInstanceUid: checkedUid(jsonString(item, '0020000E'), 'SeriesInstanceUID of a QIDO-RS series', this.url + path),
      modality: jsonString(item, '00080060'),
      ...(jsonString(item, '00100020') === undefined ? {} : { patientId: jsonString(item, '00100020')! }),
    }));
  }

  /** QIDO-RS study search: the StudyInstanceUIDs matching `query`. */
  async searchStudies(query: URLSearchParams = new URLSearchParams()): Promise<string[]> {
    return (await this.#search('/studies', query)).map((item) => checkedUid(jsonString(item, '0020000D'), 'StudyInstanceUID of a QIDO-RS study', `${this.url}/studies`));
  }

  /** QIDO-RS instance search within one series. */
  async searchInstances(series: SeriesRef): Promise<InstanceRef[]> {
    const path = `/studies/${series.studyInstanceUid}/series/${series.seriesInstanceUid}/instances`;
    return (await this.#search(path, new URLSearchParams())).map((item) => ({
      ...series,
      sopInstanceUid: checkedUid(jsonString(item, '00080018'), 'SOPInstanceUID of a QIDO-RS instance', this.url + path),
    }));
  }

  /**
   * WADO-RS retrieval of one instance as a DICOM Part 10 file: the stored transfer syntax if the server will
   * send it, else the one it offers (406 moves on to the next Accept). The part must be DICOM and be the
   * instance asked for; a body cut short is asked for again.
   */
  async retrieveInstance(instance: InstanceRef): Promise<Uint8Array> {
    const name = `${instance.studyInstanceUid}/${instance.seriesInstanceUid}/${instance.sopInstanceUid}`;
    const url = `${this.url}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
    for (const [i, accept] of retrieveAccept.entries()) {
      try {
        return await requestWithRetry(url, { headers: this.#headers(accept) }, this.#retry, `instance ${name}`, (response) => {
          const parts = parseMultipartRelated(response.body, multipartBoundary(response.contentType, `instance ${name}`), `instance ${name}`);
          if (parts.length !== 1) throw new DicomWebError(`expected one part, got ${parts.length}`, { path: `instance ${name}` });
          const part = parts[0]!;
          const type = (part.headers['content-type'] ?? 'application/dicom').split(';')[0]!.trim().toLowerCase();
          if (type !== 'application/dicom') throw new DicomWebError(`the part is '${type}', not application/dicom`, { path: `instance ${name}` });
          let sop: string | undefined;
          try {
            sop = getString(parseDicomBytes(part.body, `instance ${name}`).raw, Tag.SopInstanceUid);
          } catch (error) {
            throw new DicomWebError(`the part is not a DICOM object (${(error as Error).message})`, { path: `instance ${name}`, cause: error });
          }
          if (sop !== instance.sopInstanceUid) throw new DicomWebError(`the server sent SOPInstanceUID ${sop ?? '(none)'}`, { path: `instance ${name}` });
          return part.body;
        });
      } catch (error) {
        if (error instanceof DicomWebError && error.status === 406 && i + 1 < retrieveAccept.length) continue;
        throw error;
      }
    }
    throw new DicomWebError('no acceptable representation', { path: `instance ${name}` });
  }

  /** STOW-RS: stores DICOM Part 10 objects (into `studyInstanceUid` if given) and reads back what was stored. */
  async store(objects: readonly Uint8Array[], studyInstanceUid?: string): Promise<StoreResult> {
    const url = `${this.url}/studies${studyInstanceUid === undefined ? '' : `/${checkedUid(studyInstanceUid, 'StudyInstanceUID')}`}`;
    const { body, contentType } = encodeMultipartRelated(objects);
    return requestWithRetry(url, { method: 'POST', headers: this.#headers('application/dicom+json', { 'content-type': contentType }), body }, this.#retry, `STOW-RS ${url}`, (response) => {
      let answer: DicomJson = {};
      if (response.body.length > 0) {
        try {
          answer = JSON.parse(Buffer.from(response.body).toString('utf8')) as DicomJson;
        } catch (error) {
          throw new DicomWebError('STOW-RS answer is not JSON', { path: url, cause: error });
        }
      }
      const items = (tag: string) => (answer[tag]?.Value ?? []) as DicomJson[];
      return {
        stored: items('00081199').map((item) => ({ sopInstanceUid: jsonString(item, '00081155') ?? '', url: jsonString(item, '00081190') })),
        failed: items('00081198').map((item) => ({ sopInstanceUid: jsonString(item, '00081155') ?? '', reason: `failure reason ${jsonString(item, '00081197') ?? 'unknown'}` })),
      };
    });
  }
}
