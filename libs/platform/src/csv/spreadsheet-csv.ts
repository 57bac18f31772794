import { stringify, type Options, type Stringifier } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

/*
 * CSV for people, who open it in Excel, WPS or LibreOffice: a cell starting with `=`, `+`, `-`,
 * `@`, a tab or a CR is run as a formula there (`=HYPERLINK(...)`, DDE `=cmd|...`), so any such
 * text that is not a plain number gets a leading `'` and is shown as text. Every service's
 * human-facing CSV (settlement's statements, delivery's codes.csv) writes through these, so the
 * rule is one. Machines that need the exact values read JSON or a raw form instead.
 */

/** Leading characters a spreadsheet reads as the start of a formula (or that hide one after them). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A signed number such as `-1500` or `+7`: a spreadsheet shows it as that number, nothing runs. */
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** The value as a spreadsheet shows it without running anything: `'` before a formula-like text. */
export function spreadsheetSafe(value: string): string {
  return FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
}

export interface CsvOptions {
  /** Column names: the header line, and the keys read from object records. */
  columns?: readonly string[];
  /**
   * 'spreadsheet' (the default): formula-like text is prefixed with `'` (spreadsheetSafe).
   * 'raw': every value exactly as given, for programs that import the file.
   */
  values?: 'spreadsheet' | 'raw';
}

export type CsvField = string | number | null | undefined;

/** RFC 4180 with CRLF; a field is quoted when it holds a comma, quote, CR or LF (csv-stringify alone leaves a lone LF unquoted). */
function options({ columns, values = 'spreadsheet' }: CsvOptions): Options {
  return {
    record_delimiter: 'windows',
    quoted_match: /[\r\n]/,
    ...(columns ? { header: true, columns: [...columns] } : {}),
    ...(values === 'spreadsheet' ? { cast: { string: spreadsheetSafe } } : {}),
  };
}

/** A streaming CSV writer (records in, text out), spreadsheet-safe unless `values: 'raw'`. */
export function csvWriter(csv: CsvOptions = {}): Stringifier {
  return stringify(options(csv));
}

/** One CRLF-terminated CSV line of these fields, spreadsheet-safe unless `values: 'raw'`. */
export function csvLine(fields: readonly CsvField[], csv: Omit<CsvOptions, 'columns'> = {}): string {
  return stringifySync([[...fields]], options(csv));
}
