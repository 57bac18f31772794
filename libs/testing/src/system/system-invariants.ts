/** Runs one SQL statement against a service's own database (as `h.service(name).query` does). */
type Query = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/*
 * The system's money and stock invariants, read straight from each service's own database (one
 * SQL statement each, so each check sees one consistent snapshot even while events are in flight).
 * Each throws naming whatever is off. Here rather than in one app's test support: every app's
 * end-to-end tests check them, and an app's tests may not import another app's files.
 */

/**
 * Settlement's ledger: per currency all entries sum to zero, and so does every transaction (with
 * at least two entries); every account's balance and sequence are what its entries say; no
 * wallet, escrow, payable or deposit is below zero.
 */
export async function expectLedgerConsistent(settlement: Query): Promise<void> {
  const perCurrency = await settlement(`SELECT currency, sum(amount)::text AS total FROM ledger_entry GROUP BY currency HAVING sum(amount) <> 0`);
  const unbalanced = await settlement(
    `SELECT transaction_id::text, currency, sum(amount)::text AS total FROM ledger_entry GROUP BY transaction_id, currency HAVING sum(amount) <> 0`,
  );
  const thin = await settlement(`SELECT t.id::text FROM ledger_transaction t LEFT JOIN ledger_entry e ON e.transaction_id = t.id GROUP BY t.id HAVING count(e.id) < 2`);
  const drifted = await settlement(
    `SELECT a.id::text, a.owner, a.kind, a.balance::text, coalesce(sum(e.amount), 0)::text AS entries, a.sequence::text, count(e.id)::text AS entry_count
       FROM ledger_account a LEFT JOIN ledger_entry e ON e.account_id = a.id
      GROUP BY a.id HAVING a.balance <> coalesce(sum(e.amount), 0) OR a.sequence <> count(e.id)`,
  );
  const negative = await settlement(
    `SELECT id::text, owner, kind, balance::text FROM ledger_account WHERE kind IN ('merchant_wallet', 'order_escrow', 'supplier_deposit', 'supplier_payable') AND balance < 0`,
  );
  const problems = { perCurrency, unbalanced, thin, drifted, negative };
  if (Object.values(problems).some((p) => p.length > 0)) throw new Error(`the ledger is inconsistent: ${JSON.stringify(problems)}`);
}

/**
 * The vault's counters per offer: uploaded = available + reserved + sold + void, and each count
 * is what the codes themselves say (available codes; codes held by a held reservation; codes of
 * a committed reservation; void codes; all codes). The counters' CHECK alone would make the sum
 * trivially true, so the counts are compared with the codes as well.
 */
export async function expectVaultCountsConsistent(vault: Query): Promise<void> {
  const offers = await vault<Record<string, string>>(
    `WITH counted AS (
       SELECT c.offer_id,
              count(*) AS codes,
              count(*) FILTER (WHERE c.status = 'available') AS available,
              count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'held') AS reserved,
              count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'committed') AS sold,
              count(*) FILTER (WHERE c.status = 'void') AS voided
         FROM code c LEFT JOIN reservation r ON r.id = c.reservation_id
        GROUP BY c.offer_id)
     SELECT s.offer_id::text, s.uploaded::text, s.available::text, s.reserved::text, s.sold::text, s.voided::text,
            coalesce(k.codes, 0)::text AS codes, coalesce(k.available, 0)::text AS code_available, coalesce(k.reserved, 0)::text AS code_reserved,
            coalesce(k.sold, 0)::text AS code_sold, coalesce(k.voided, 0)::text AS code_voided
       FROM offer_stock s FULL JOIN counted k ON k.offer_id = s.offer_id`,
  );
  const wrong = offers.filter(
    (o) =>
      o.offer_id === null ||
      Number(o.uploaded) !== Number(o.available) + Number(o.reserved) + Number(o.sold) + Number(o.voided) ||
      o.uploaded !== o.codes ||
      o.available !== o.code_available ||
      o.reserved !== o.code_reserved ||
      o.sold !== o.code_sold ||
      o.voided !== o.code_voided,
  );
  if (offers.length === 0) throw new Error('the vault holds no offer counts at all: nothing was checked');
  if (wrong.length > 0) throw new Error(`the vault's counts are inconsistent: ${JSON.stringify(wrong)}`);
}
