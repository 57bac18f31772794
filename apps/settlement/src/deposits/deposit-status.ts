import type { EntityManager } from 'typeorm';
import { DepositStatusChanged } from '@kami/contracts';
import type { Messaging } from '@kami/platform';

/** Deposits are held in the platform's currency; the minimum is in its minor units. */
export const DEPOSIT_CURRENCY = 'CNY';

/** ¥1,000: the minimum deposit when SUPPLIER_DEPOSIT_MINIMUM is not set. */
export const DEFAULT_SUPPLIER_DEPOSIT_MINIMUM = 100_000;

/** Whether a deposit balance covers the platform's minimum (no minimum: always). */
export function depositCovers(balance: number, minimum: number): boolean {
  return minimum === 0 || balance >= minimum;
}

export interface DepositStatus {
  supplierId: string;
  currency: string;
  balance: number;
  minimum: number;
  covered: boolean;
  sequence: number;
}

/**
 * Records a supplier's deposit status and publishes it (`settlement.deposit.status_changed`)
 * through the outbox, in the caller's transaction. The status row carries its own sequence, not
 * the ledger account's: a changed minimum re-publishes without any movement, and the catalog must
 * still see the newer status as newer. Callers hold the deposit account's row lock (a ledger
 * posting) or the status row's, so two publications of one supplier never interleave.
 */
export async function publishDepositStatus(
  outbox: Messaging['outbox'],
  manager: EntityManager,
  deposit: { supplierId: string; currency: string; balance: number; minimum: number },
  /** `first`: only when nothing was published for this supplier yet (its registration, which a top-up may have overtaken). */
  when: 'always' | 'first' = 'always',
): Promise<DepositStatus | undefined> {
  const covered = depositCovers(deposit.balance, deposit.minimum);
  const rows: { sequence: string }[] = await manager.query(
    `INSERT INTO supplier_deposit_status (supplier_id, currency, balance, minimum, covered, sequence) VALUES ($1, $2, $3, $4, $5, 1)
     ON CONFLICT (supplier_id, currency) ${
       when === 'first'
         ? 'DO NOTHING'
         : `DO UPDATE SET balance = EXCLUDED.balance, minimum = EXCLUDED.minimum, covered = EXCLUDED.covered,
                          sequence = supplier_deposit_status.sequence + 1, updated_at = now()`
     }
     RETURNING sequence::text`,
    [deposit.supplierId, deposit.currency, deposit.balance, deposit.minimum, covered],
  );
  if (!rows[0]) return undefined;
  const status: DepositStatus = { ...deposit, covered, sequence: Number(rows[0].sequence) };
  await outbox.append(manager, DepositStatusChanged, { aggregateId: deposit.supplierId, payload: status });
  return status;
}
