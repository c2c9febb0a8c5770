// C0 controls, DEL and C1 controls (ESC, CSI and the rest): what lets text move the cursor, clear the screen or
// forge lines on a terminal. Bidirectional overrides are included: they reorder what the reader sees.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const controls = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a file made safe to print on a terminal: every control character becomes `?`, so a PatientID with
 * ANSI escapes or newlines shows as one inert line. `keepNewlines` keeps `\n` (for multi-line messages that
 * medseg itself composed).
 */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(controls, (c) => (keepNewlines && c === '\n' ? c : '?'));
}
