import { parseCsvRecords } from './csv';

/** One ledger entry of GET /api/v1/settlement/statements (text/csv). */
export interface StatementEntry {
  entryId: string;
  postedAt: string;
  transactionId: string;
  transactionKind: string;
  reference: string;
  accountKind: string;
  currency: string;
  /** fen, signed: + into the account, − out of it */
  amount: number;
  balanceAfter: number;
}

/** Reads a statement CSV (header `entry_id,posted_at,…,amount,balance_after`), newest entry first. */
export function parseStatement(csv: string): StatementEntry[] {
  return parseCsvRecords(csv)
    .map((r) => ({
      entryId: r['entry_id'] ?? '',
      postedAt: r['posted_at'] ?? '',
      transactionId: r['transaction_id'] ?? '',
      transactionKind: r['transaction_kind'] ?? '',
      reference: r['reference'] ?? '',
      accountKind: r['account_kind'] ?? '',
      currency: r['currency'] ?? '',
      amount: Number(r['amount']),
      balanceAfter: Number(r['balance_after']),
    }))
    .filter((e) => e.entryId !== '' && Number.isFinite(e.amount))
    .reverse();
}

/** `[from, to)` of the last `days` days, as the statements route wants (ISO 8601). */
export function lastDays(days: number, now: Date = new Date()): { from: string; to: string } {
  const to = new Date(now.getTime() + 60_000);
  const from = new Date(now.getTime() - days * 86_400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}
