import { createHash } from 'node:crypto';
import { safeName } from './safeName.js';

/** One thing to name: the text its name comes from, and the UID that tells it apart from everything else. */
export interface NameRequest {
  /** Parts joined by `_` and made safe (e.g. [PatientID] or [PatientID, SeriesNumber, Modality]). */
  readonly parts: readonly (string | number | undefined)[];
  /** A stable identity (SeriesInstanceUID): the source of the suffix when names collide. */
  readonly uid: string;
}

/** Eight hex digits of the SHA-256 of `uid`: the same UID always gives the same suffix. */
export function uidSuffix(uid: string): string {
  return createHash('sha256').update(uid).digest('hex').slice(0, 8);
}

/**
 * Safe names (see `safeName`) that are unique, compared case-insensitively as macOS and Windows file systems
 * do. Every member of a collision gets `_` + `uidSuffix(uid)`, so a name never depends on which other inputs
 * are present or in what order; identical UIDs (which should not happen) get a counter after that.
 */
export function uniqueSafeNames(requests: readonly NameRequest[], fallback = 'case'): string[] {
  const bases = requests.map((r) => safeName(r.parts.filter((p) => p !== undefined && p !== '').join('_'), fallback));
  const counts = new Map<string, number>();
  for (const base of bases) counts.set(base.toLowerCase(), (counts.get(base.toLowerCase()) ?? 0) + 1);
  const names = bases.map((base, i) => (counts.get(base.toLowerCase())! > 1 ? `${base}_${uidSuffix(requests[i]!.uid)}` : base));
  const seen = new Map<string, number>();
  return names.map((name) => {
    const key = name.toLowerCase();
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n === 1 ? name : `${name}_${n}`;
  });
}
