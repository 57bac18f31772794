import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { csvLine, DomainError, type Identity } from '@kami/platform';
import { Ledger } from '../ledger/ledger';
import { invalidPeriod, organisationRequired } from '../settlement.errors';
import type { StatementQueryDto } from './statements.dto';

export interface WalletView {
  currency: string;
  balance: number;
  sequence: number;
}

export interface AccountView {
  id: string;
  kind: string;
  currency: string;
  balance: number;
}

const STATEMENT_HEADER = ['entry_id', 'posted_at', 'transaction_id', 'transaction_kind', 'reference', 'account_kind', 'currency', 'amount', 'balance_after'];
const MAX_PERIOD_MS = 366 * 86_400_000;

/** Balances and statements, always of one owner: the caller's organisation, or (operators) the one they name. */
@Injectable()
export class StatementsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
  ) {}

  private ownerFor(identity: Identity, requested?: string): string {
    if (identity.organisationType === 'operator') {
      if (!requested) throw organisationRequired();
      return requested.toLowerCase();
    }
    if (requested && requested.toLowerCase() !== identity.organisationId) {
      throw new DomainError('forbidden', 403, 'Only operators may read another organisation\u2019s accounts.');
    }
    return identity.organisationId;
  }

  async wallet(identity: Identity, requested?: string): Promise<{ organisationId: string; balances: WalletView[] }> {
    const owner = this.ownerFor(identity, requested);
    const wallets = await this.ledger.accountsOf(this.dataSource.manager, owner, ['merchant_wallet']);
    return { organisationId: owner, balances: wallets.map((w) => ({ currency: w.currency, balance: w.balance, sequence: w.sequence })) };
  }

  async accounts(identity: Identity, requested?: string): Promise<{ owner: string; accounts: AccountView[] }> {
    const owner = this.ownerFor(identity, requested);
    const accounts = await this.ledger.accountsOf(this.dataSource.manager, owner);
    return { owner, accounts: accounts.map((a) => ({ id: a.id, kind: a.kind, currency: a.currency, balance: a.balance })) };
  }

  async csv(identity: Identity, query: StatementQueryDto): Promise<string> {
    const owner = this.ownerFor(identity, query.organisationId);
    const from = new Date(query.from);
    const to = new Date(query.to);
    if (!(from < to)) throw invalidPeriod('from must be before to.');
    if (to.getTime() - from.getTime() > MAX_PERIOD_MS) throw invalidPeriod('A statement covers at most 366 days.');
    const rows: Record<string, string>[] = await this.dataSource.query(
      `SELECT e.id::text AS entry_id, to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS posted_at,
              t.id::text AS transaction_id, t.kind AS transaction_kind, t.reference, a.kind AS account_kind, e.currency,
              e.amount::text AS amount, e.balance_after::text AS balance_after
         FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id JOIN ledger_transaction t ON t.id = e.transaction_id
        WHERE a.owner = $1 AND e.posted_at >= $2 AND e.posted_at < $3
        ORDER BY e.id`,
      [owner, from, to],
    );
    return csvLine(STATEMENT_HEADER) + rows.map((r) => csvLine(STATEMENT_HEADER.map((h) => r[h]))).join('');
  }
}
