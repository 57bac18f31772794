import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { WalletChanged } from '@kami/contracts';
import { Messaging, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { DEFAULT_SUPPLIER_DEPOSIT_MINIMUM, DEPOSIT_CURRENCY, publishDepositStatus } from '../deposits/deposit-status';
import { PLATFORM_KINDS, PLATFORM_OWNER, unbalancedReason, type AccountKind, type Leg, type TransactionKind } from './ledger-rules';

export interface Posting {
  kind: TransactionKind;
  /** The business object: an order id, a top-up id... */
  reference: string;
  /** Names the business movement (`order:<id>:capture`): the same one never posts twice. */
  idempotencyRef: string;
  legs: Leg[];
}

export interface PostResult {
  transactionId: string;
  /** False when this movement had been posted before (nothing was written now). */
  posted: boolean;
}

export interface AccountRow {
  id: string;
  owner: string;
  kind: AccountKind;
  currency: string;
  balance: number;
  sequence: number;
}

export class UnbalancedTransactionError extends Error {
  constructor(reason: string) {
    super(`refusing to post an unbalanced ledger transaction: ${reason}`);
  }
}

const toAccount = (r: { id: string; owner: string; kind: AccountKind; currency: string; balance: string; sequence: string }): AccountRow => ({
  id: r.id,
  owner: r.owner,
  kind: r.kind,
  currency: r.currency,
  balance: Number(r.balance),
  sequence: Number(r.sequence),
});

/**
 * The double-entry ledger. Every movement is one transaction of balanced entries, posted
 * through the caller's EntityManager so it commits with the business change it belongs to.
 * Accounts are locked in id order before anything is written (no deadlocks between postings);
 * the entries' trigger moves each account's cached balance, and PostgreSQL checks the balance
 * of the whole transaction at commit. Every movement of a merchant wallet publishes
 * `settlement.wallet.changed`, and every movement of a supplier deposit
 * `settlement.deposit.status_changed`, through the outbox, in the same transaction.
 */
@Injectable()
export class Ledger {
  private readonly depositMinimum: number;

  constructor(
    private readonly messaging: Messaging,
    @Optional() @Inject(SERVICE_CONFIG) config?: Pick<SettlementConfig, 'SUPPLIER_DEPOSIT_MINIMUM'>,
  ) {
    this.depositMinimum = config?.SUPPLIER_DEPOSIT_MINIMUM ?? DEFAULT_SUPPLIER_DEPOSIT_MINIMUM;
  }

  /** The account of an owner (organisation id, or the platform for platform kinds), opened on first use. */
  async account(manager: EntityManager, owner: string, kind: AccountKind, currency: string): Promise<string> {
    const accountOwner = PLATFORM_KINDS.includes(kind) ? PLATFORM_OWNER : owner;
    const inserted: { id: string }[] = await manager.query(
      `INSERT INTO ledger_account (owner, kind, currency) VALUES ($1, $2, $3) ON CONFLICT (owner, kind, currency) DO NOTHING RETURNING id::text`,
      [accountOwner, kind, currency],
    );
    if (inserted[0]) return inserted[0].id;
    const rows: { id: string }[] = await manager.query(`SELECT id::text FROM ledger_account WHERE owner = $1 AND kind = $2 AND currency = $3`, [accountOwner, kind, currency]);
    return rows[0]!.id;
  }

  /** The platform's account of a kind and currency. */
  platformAccount(manager: EntityManager, kind: 'platform_commission_revenue' | 'provider_clearing', currency: string): Promise<string> {
    return this.account(manager, PLATFORM_OWNER, kind, currency);
  }

  /** An existing account, without opening one. */
  async find(manager: EntityManager, owner: string, kind: AccountKind, currency: string): Promise<AccountRow | undefined> {
    const rows = await manager.query(
      `SELECT id::text, owner, kind, currency, balance::text, sequence::text FROM ledger_account WHERE owner = $1 AND kind = $2 AND currency = $3`,
      [owner, kind, currency],
    );
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  /** Locks accounts (in id order) for the rest of the transaction and returns them as they are now. */
  async lock(manager: EntityManager, accountIds: string[]): Promise<Map<string, AccountRow>> {
    const ids = [...new Set(accountIds)].sort();
    const rows = await manager.query(
      `SELECT id::text, owner, kind, currency, balance::text, sequence::text FROM ledger_account WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map((rows as Parameters<typeof toAccount>[0][]).map((r) => [r.id, toAccount(r)]));
  }

  async post(manager: EntityManager, posting: Posting): Promise<PostResult> {
    if (!manager.queryRunner?.isTransactionActive) throw new Error('Ledger.post must run inside a transaction');
    const reason = unbalancedReason(posting.legs);
    if (reason) throw new UnbalancedTransactionError(reason);

    const accounts = await this.lock(manager, posting.legs.map((l) => l.accountId));
    for (const leg of posting.legs) {
      const account = accounts.get(leg.accountId);
      if (!account) throw new UnbalancedTransactionError(`account ${leg.accountId} does not exist`);
      if (account.currency !== leg.currency) throw new UnbalancedTransactionError(`account ${leg.accountId} holds ${account.currency}, not ${leg.currency}`);
    }

    const created: { id: string }[] = await manager.query(
      `INSERT INTO ledger_transaction (kind, reference, idempotency_ref) VALUES ($1, $2, $3) ON CONFLICT (idempotency_ref) DO NOTHING RETURNING id::text`,
      [posting.kind, posting.reference, posting.idempotencyRef],
    );
    if (!created[0]) {
      const existing: { id: string }[] = await manager.query(`SELECT id::text FROM ledger_transaction WHERE idempotency_ref = $1`, [posting.idempotencyRef]);
      return { transactionId: existing[0]!.id, posted: false };
    }
    const transactionId = created[0].id;
    const applied: { account_id: string; balance_after: string; account_sequence: string }[] = await manager.query(
      `INSERT INTO ledger_entry (transaction_id, account_id, currency, amount)
       SELECT $1::uuid, leg.account_id, leg.currency, leg.amount
         FROM unnest($2::uuid[], $3::text[], $4::bigint[]) WITH ORDINALITY AS leg(account_id, currency, amount, n)
        ORDER BY leg.n
       RETURNING account_id::text, balance_after::text, account_sequence::text`,
      [transactionId, posting.legs.map((l) => l.accountId), posting.legs.map((l) => l.currency), posting.legs.map((l) => String(l.amount))],
    );

    // The newest state of each wallet this transaction moved.
    const latest = new Map<string, { balance: number; sequence: number }>();
    for (const row of applied) {
      const sequence = Number(row.account_sequence);
      if ((latest.get(row.account_id)?.sequence ?? 0) < sequence) latest.set(row.account_id, { balance: Number(row.balance_after), sequence });
    }
    for (const [accountId, state] of latest) {
      const account = accounts.get(accountId)!;
      if (account.kind === 'supplier_deposit' && account.currency === DEPOSIT_CURRENCY) {
        await publishDepositStatus(this.messaging.outbox, manager, { supplierId: account.owner, currency: account.currency, balance: state.balance, minimum: this.depositMinimum });
      }
      if (account.kind !== 'merchant_wallet') continue;
      await this.messaging.outbox.append(manager, WalletChanged, {
        aggregateId: account.owner,
        payload: { organisationId: account.owner, currency: account.currency, balance: state.balance, sequence: state.sequence },
      });
    }
    return { transactionId, posted: true };
  }

  /** The accounts of an owner, with their balances. */
  async accountsOf(manager: EntityManager, owner: string, kinds?: readonly AccountKind[]): Promise<AccountRow[]> {
    const rows = await manager.query(
      `SELECT id::text, owner, kind, currency, balance::text, sequence::text FROM ledger_account
        WHERE owner = $1 AND ($2::text[] IS NULL OR kind = ANY($2::text[])) ORDER BY kind, currency`,
      [owner, kinds ? [...kinds] : null],
    );
    return (rows as Parameters<typeof toAccount>[0][]).map(toAccount);
  }
}
