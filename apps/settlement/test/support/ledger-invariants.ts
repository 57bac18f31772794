type Query = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/**
 * The ledger's invariants, read straight from the settlement database: every transaction's
 * entries sum to zero per currency (and there are at least two), every account's cached balance
 * and sequence equal what its entries say, and no wallet, escrow or deposit is below zero.
 * Throws naming whatever is off.
 */
export async function expectLedgerConsistent(query: Query): Promise<void> {
  const unbalanced = await query(
    `SELECT transaction_id::text, currency, sum(amount)::text AS total FROM ledger_entry GROUP BY transaction_id, currency HAVING sum(amount) <> 0`,
  );
  const thin = await query(`SELECT t.id::text FROM ledger_transaction t LEFT JOIN ledger_entry e ON e.transaction_id = t.id GROUP BY t.id HAVING count(e.id) < 2`);
  const drifted = await query(
    `SELECT a.id::text, a.kind, a.balance::text, coalesce(sum(e.amount), 0)::text AS entries, a.sequence::text, count(e.id)::text AS entry_count
       FROM ledger_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
      GROUP BY a.id HAVING a.balance <> coalesce(sum(e.amount), 0) OR a.sequence <> count(e.id)`,
  );
  const negative = await query(`SELECT id::text, kind, balance::text FROM ledger_account WHERE kind IN ('merchant_wallet', 'order_escrow', 'supplier_deposit', 'supplier_payable') AND balance < 0`);
  const problems = { unbalanced, thin, drifted, negative };
  if (Object.values(problems).some((p) => p.length > 0)) throw new Error(`the ledger is inconsistent: ${JSON.stringify(problems)}`);
}

/** An organisation's balance of one account kind and currency (0 when it has no such account). */
export async function balanceOf(query: Query, owner: string, kind: string, currency = 'CNY'): Promise<number> {
  const rows = await query<{ balance: string }>(`SELECT balance::text FROM ledger_account WHERE owner = $1 AND kind = $2 AND currency = $3`, [owner, kind, currency]);
  return rows[0] ? Number(rows[0].balance) : 0;
}
