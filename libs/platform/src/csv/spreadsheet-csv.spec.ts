import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse } from 'csv-parse/sync';
import { csvLine, csvWriter, spreadsheetSafe } from './spreadsheet-csv';

describe('spreadsheet-safe CSV', () => {
  it('writes fields a CSV reader gets back unchanged', () => {
    const fields = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'a\rb', '', -1500, 0];
    const line = csvLine(fields);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(parse(line)).toEqual([['plain', 'a,b', 'say "hi"', 'two\nlines', 'a\rb', '', '-1500', '0']]);
  });

  it('defuses spreadsheet formulas but leaves signed numbers alone', () => {
    expect(csvLine(['=HYPERLINK("x")', '@SUM(A1)', '-42', '+7', null])).toBe(`"'=HYPERLINK(""x"")",'@SUM(A1),-42,+7,\r\n`);
    expect(['+1+1', '-2+3', '\t=1', '\r=1', '-', '=', 'A=1', '1.5', '-0.25'].map(spreadsheetSafe)).toEqual(["'+1+1", "'-2+3", "'\t=1", "'\r=1", "'-", "'=", 'A=1', '1.5', '-0.25']);
  });

  it('keeps every value exactly when asked for raw values', () => {
    expect(parse(csvLine(['=1+1', '@x', '\t=1'], { values: 'raw' }))).toEqual([['=1+1', '@x', '\t=1']]);
  });

  it('streams records under a header, safe by default and raw on request', async () => {
    const records = [['=cmd|x', 'SN-1'], ['ok', null]];
    const write = (values?: 'raw'): Promise<string> => text(Readable.from(records).pipe(csvWriter({ columns: ['pin', 'serial'], values })));
    expect(await write()).toBe(`pin,serial\r\n'=cmd|x,SN-1\r\nok,\r\n`);
    expect(parse(await write('raw'), { columns: true })).toEqual([{ pin: '=cmd|x', serial: 'SN-1' }, { pin: 'ok', serial: '' }]);
  });
});
