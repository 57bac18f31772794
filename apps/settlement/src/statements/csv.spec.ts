import { parse } from 'csv-parse/sync';
import { csvLine } from './csv';

describe('csvLine', () => {
  it('writes fields a CSV reader gets back unchanged', () => {
    const fields = ['plain', 'a,b', 'say "hi"', 'two\nlines', '', -1500, 0];
    const line = csvLine(fields);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(parse(line)).toEqual([['plain', 'a,b', 'say "hi"', 'two\nlines', '', '-1500', '0']]);
  });

  it('defuses spreadsheet formulas but leaves signed numbers alone', () => {
    expect(csvLine(['=HYPERLINK("x")', '@SUM(A1)', '-42', '+7', null])).toBe(`"'=HYPERLINK(""x"")",'@SUM(A1),-42,+7,\r\n`);
  });
});
