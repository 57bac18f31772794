import { parseCsv } from './csv';
import { lastDays, parseStatement } from './statement';

describe('statement CSV', () => {
  it('parses RFC 4180 with quotes, commas and CRLF', () => {
    expect(parseCsv('a,"b,c","say ""hi"""\r\n1,,"two\nlines"\r\n')).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['1', '', 'two\nlines'],
    ]);
  });

  it('reads the ledger entries newest first, amounts in fen', () => {
    const csv =
      'entry_id,posted_at,transaction_id,transaction_kind,reference,account_kind,currency,amount,balance_after\r\n' +
      '1,2026-05-01T10:00:00.000Z,t1,topup,topup:x,merchant_wallet,CNY,50000,50000\r\n' +
      '2,2026-05-02T10:00:00.000Z,t2,order_capture,order:y:capture,merchant_wallet,CNY,-12345,37655\r\n';
    const entries = parseStatement(csv);
    expect(entries.map((e) => [e.entryId, e.transactionKind, e.amount, e.balanceAfter])).toEqual([
      ['2', 'order_capture', -12345, 37655],
      ['1', 'topup', 50000, 50000],
    ]);
    expect(parseStatement('entry_id,posted_at\r\n')).toEqual([]);
  });

  it('asks for the last N days', () => {
    const { from, to } = lastDays(30, new Date('2026-05-31T00:00:00.000Z'));
    expect(from).toBe('2026-05-01T00:00:00.000Z');
    expect(to).toBe('2026-05-31T00:01:00.000Z');
  });
});
