import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, Messaging, SERVICE_CONFIG, type Identity } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { Ledger } from '../ledger/ledger';
import { organisationRequired } from '../settlement.errors';
import type { DepositDto } from './deposit.dto';
import { DEPOSIT_CURRENCY, depositCovers, publishDepositStatus } from './deposit-status';

/**
 * Supplier deposits (保证金): what a supplier holds against the platform's minimum. Movements go
 * through the ledger (top-ups, refunds charged to a deposit), which publishes the new status; this
 * announces a new supplier's status (nothing held yet), answers the balance, and re-publishes every
 * status whose minimum is no longer the configured one (SUPPLIER_DEPOSIT_MINIMUM changed).
 */
@Injectable()
export class DepositsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DepositsService.name);
  private readonly minimum: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    private readonly messaging: Messaging,
    @Inject(SERVICE_CONFIG) config: SettlementConfig,
  ) {
    this.minimum = config.SUPPLIER_DEPOSIT_MINIMUM;
  }

  async get(identity: Identity, requested?: string): Promise<DepositDto> {
    let supplierId = identity.organisationId;
    if (identity.organisationType === 'operator') {
      if (!requested) throw organisationRequired();
      supplierId = requested.toLowerCase();
    } else if (requested && requested.toLowerCase() !== identity.organisationId) {
      throw new DomainError('forbidden', 403, 'Only operators may read another organisation\u2019s deposit.');
    }
    const account = await this.ledger.find(this.dataSource.manager, supplierId, 'supplier_deposit', DEPOSIT_CURRENCY);
    const balance = account?.balance ?? 0;
    return { supplierId, currency: DEPOSIT_CURRENCY, balance, minimum: this.minimum, covered: depositCovers(balance, this.minimum) };
  }

  /** A supplier registered: its first status, unless a movement of its deposit already published one. */
  async supplierRegistered(manager: EntityManager, supplierId: string): Promise<void> {
    await publishDepositStatus(this.messaging.outbox, manager, { supplierId, currency: DEPOSIT_CURRENCY, balance: 0, minimum: this.minimum }, 'first');
  }

  async onApplicationBootstrap(): Promise<void> {
    const stale: { supplier_id: string; currency: string }[] = await this.dataSource.query(
      `SELECT supplier_id::text, currency FROM supplier_deposit_status WHERE minimum <> $1 ORDER BY supplier_id`,
      [this.minimum],
    );
    for (const { supplier_id: supplierId, currency } of stale) {
      await this.dataSource.transaction(async (manager) => {
        // The account's lock first, as a posting takes it: the balance cannot move under us.
        const account = await this.ledger.find(manager, supplierId, 'supplier_deposit', currency);
        const locked = account ? (await this.ledger.lock(manager, [account.id])).get(account.id) : undefined;
        const still: unknown[] = await manager.query(`SELECT 1 FROM supplier_deposit_status WHERE supplier_id = $1 AND currency = $2 AND minimum <> $3 FOR UPDATE`, [
          supplierId,
          currency,
          this.minimum,
        ]);
        if (still.length === 0) return; // another instance got there first
        await publishDepositStatus(this.messaging.outbox, manager, { supplierId, currency, balance: locked?.balance ?? 0, minimum: this.minimum });
      });
    }
    if (stale.length > 0) {
      this.logger.log({ suppliers: stale.length, minimum: this.minimum }, 'deposit minimum changed: statuses re-published');
      this.messaging.relay.nudge();
    }
  }
}
