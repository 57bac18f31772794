/**
 * One RFC 4180 CSV line (CRLF-terminated). A field is quoted when it holds a comma, quote, CR or
 * LF; a field that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first, other than a
 * plain number) is prefixed with `'` so a statement opened in Excel cannot execute anything.
 * (No CSV writer is among the dependencies; csv-parse only reads.)
 */
export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return (
    fields
      .map((value) => {
        if (value === null || value === undefined) return '';
        let text = String(value);
        if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
        return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
      })
      .join(',') + '\r\n'
  );
}
