/** Longest name medseg derives from data: far below NAME_MAX (255 bytes) even with suffixes and extensions. */
export const MAX_SAFE_NAME_LENGTH = 64;

// Names Windows refuses whatever the extension; datasets travel between systems.
const reservedNames = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * A file-system-safe, bounded name from a string found in data (a PatientID, a series description, a ROI
 * name): letters, digits, `.`, `_` and `-` only, runs of anything else become one `_`, no leading dots or
 * separators, at most `MAX_SAFE_NAME_LENGTH` characters. `.`, `..`, empty and all-symbol strings become
 * `fallback`. Distinct inputs can map to one name (`Smith^John`, `Smith John`): `uniqueSafeNames` resolves that.
 */
export function safeName(text: string, fallback = 'case'): string {
  let name = text
    .normalize('NFKC')
    .trim()
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_SAFE_NAME_LENGTH)
    .replace(/[._-]+$/, '');
  if (name === '') name = fallback;
  if (reservedNames.test(name)) name = `${name}_`;
  return name;
}

/**
 * Whether a name read back from a file (a manifest's case ID) is safe to use as a file name: ASCII letters,
 * digits, `.`, `_`, `-`, not starting with a dot, at most 200 characters. Looser than what `safeName` makes,
 * so datasets written by earlier versions (which kept trailing separators) still read.
 */
export function isSafeName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/.test(name);
}
