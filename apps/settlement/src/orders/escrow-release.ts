import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { Ledger } from '../ledger/ledger';
import type { Leg } from '../ledger/ledger-rules';
import { splitBySupplier } from './commission';

const SWEEP_BATCH = 100;

/**
 * Releases escrow past its dispute window: each supplier's sold lines go to its payable, less the
 * platform commission (COMMISSION_RATE_BPS, or the supplier's row in commission_rate), which goes
 * to platform revenue. One ledger transaction per order (`order:<id>:release`), in the same
 * database transaction that marks the order released, so it happens exactly once; orders are
 * claimed with SKIP LOCKED, so several instances can sweep side by side.
 */
@Injectable()
export class EscrowRelease implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EscrowRelease.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    @Inject(SERVICE_CONFIG) private readonly config: SettlementConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.ESCROW_RELEASE_INTERVAL_MS,
      run: () => this.sweep(),
      onError: (error) => this.logger.error({ err: error }, 'escrow release sweep failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /**
   * Releases every order due at `now`, each in its own transaction (one order that cannot be
   * released is logged and retried next time; it never holds back the others). Returns how many
   * were released.
   */
  async sweep(now = new Date()): Promise<number> {
    let released = 0;
    for (;;) {
      const due: { order_id: string }[] = await this.dataSource.query(
        `SELECT order_id::text FROM order_payment WHERE released_at IS NULL AND release_due_at <= $1 AND status = 'captured' ORDER BY release_due_at LIMIT ${SWEEP_BATCH}`,
        [now],
      );
      let failed = 0;
      for (const { order_id } of due) {
        try {
          const done = await this.dataSource.transaction(async (manager) => {
            const [order]: { order_id: string; buyer_id: string; currency: string }[] = await manager.query(
              `SELECT order_id::text, buyer_id::text, currency FROM order_payment
                WHERE order_id = $1 AND released_at IS NULL AND status = 'captured' FOR UPDATE SKIP LOCKED`,
              [order_id],
            );
            if (!order) return false;
            await this.release(manager, order);
            return true;
          });
          if (done) released += 1;
        } catch (error) {
          failed += 1;
          this.logger.error({ err: error, orderId: order_id }, 'releasing an order\'s escrow failed; it is retried on the next sweep');
        }
      }
      if (due.length < SWEEP_BATCH || failed > 0) break;
    }
    if (released > 0) this.logger.log({ released }, 'released escrow past its dispute window');
    return released;
  }

  private async release(manager: EntityManager, order: { order_id: string; buyer_id: string; currency: string }): Promise<void> {
    const lines: { supplier_id: string; amount: string }[] = await manager.query(
      `WITH changed AS (UPDATE order_payment_line SET status = 'released' WHERE order_id = $1 AND status = 'allocated' RETURNING supplier_id::text, amount::text) SELECT * FROM changed`,
      [order.order_id],
    );
    await manager.query(`UPDATE order_payment SET released_at = now(), updated_at = now() WHERE order_id = $1`, [order.order_id]);
    const overrides: { supplier_id: string; rate_bps: number }[] = await manager.query(
      `SELECT supplier_id::text, rate_bps FROM commission_rate WHERE supplier_id = ANY($1::uuid[])`,
      [[...new Set(lines.map((l) => l.supplier_id))]],
    );
    const rates = new Map(overrides.map((o) => [o.supplier_id, o.rate_bps]));
    const splits = splitBySupplier(
      lines.map((l) => ({ supplierId: l.supplier_id, amount: Number(l.amount) })),
      (supplierId) => rates.get(supplierId) ?? this.config.COMMISSION_RATE_BPS,
    );
    const gross = splits.reduce((n, s) => n + s.gross, 0);
    if (gross === 0) return;
    const { currency } = order;
    const legs: Leg[] = [{ accountId: await this.ledger.account(manager, order.buyer_id, 'order_escrow', currency), currency, amount: -gross }];
    let commission = 0;
    for (const split of splits) {
      if (split.payable > 0) legs.push({ accountId: await this.ledger.account(manager, split.supplierId, 'supplier_payable', currency), currency, amount: split.payable });
      commission += split.commission;
    }
    if (commission > 0) legs.push({ accountId: await this.ledger.platformAccount(manager, 'platform_commission_revenue', currency), currency, amount: commission });
    await this.ledger.post(manager, { kind: 'escrow_release', reference: order.order_id, idempotencyRef: `order:${order.order_id}:release`, legs });
  }
}
