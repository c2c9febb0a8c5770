/**
 * One CSV cell (RFC 4180 quoting) that a spreadsheet will not run as a formula. Text starting with `=`, `+`,
 * `-`, `@`, a tab or a carriage return (OWASP "CSV Injection") is prefixed with a single quote and quoted;
 * numbers are written as numbers (NaN empty, infinities `inf`/`-inf`, what pandas reads back).
 */
export function csvCell(value: string | number | boolean): string {
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return String(value);
  }
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return text !== value || /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
