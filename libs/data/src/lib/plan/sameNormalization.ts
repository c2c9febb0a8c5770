/**
 * Whether a stored normalisation spec (JSON, as the manifest keeps it) is the one a `--normalize` text asks for;
 * the planner and the ingest check of a plan both ask it. An unreadable stored spec matches nothing.
 */
export function sameNormalization(storedJson: string, text: string): boolean {
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(storedJson) as Record<string, unknown>;
  } catch {
    return false;
  }
  const [kind, argument = ''] = text.split(':', 2);
  const numbers = argument.split(',').map(Number);
  if (stored['kind'] !== kind) return false;
  if (kind === 'percentile' || kind === 'zscore') return stored['lower'] === numbers[0] && stored['upper'] === numbers[1];
  if (kind === 'ct') return stored['low'] === numbers[0] && stored['high'] === numbers[1] && stored['mean'] === numbers[2] && stored['std'] === numbers[3];
  return true;
}
