import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { Ledger } from '../ledger/ledger';
import type { Leg } from '../ledger/ledger-rules';
import { CommissionRatesService } from '../commission/commission-rates.service';
import { rateFor } from '../commission/commission-rules';
import { commissionOf, splitBySupplier } from './commission';

const SWEEP_BATCH = 100;

/**
 * Releases escrow past its dispute window: each supplier's sold lines (less codes refunded before)
 * go to its payable, less the platform commission, which goes to platform revenue. Each line's
 * rate is the most specific in force (the supplier's, its category's, COMMISSION_RATE_BPS) and is
 * stored on the line with the commission it took (refunds after the release reverse that). One
 * ledger transaction per order (`order:<id>:release`), in the same database transaction that marks
 * the order released, so it happens exactly once; orders are claimed with SKIP LOCKED, so several
 * instances can sweep side by side.
 */
@Injectable()
export class EscrowRelease implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EscrowRelease.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    private readonly commissionRates: CommissionRatesService,
    @Inject(SERVICE_CONFIG) config: SettlementConfig,
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
    // Codes refunded before the release stay out of it: a line releases what is left of it.
    const lines: { line_id: string; supplier_id: string; category_code: string | null; quantity: number; refunded_quantity: number; unit_price: string }[] = await manager.query(
      `SELECT line_id::text, supplier_id::text, category_code, quantity, refunded_quantity, unit_price::text FROM order_payment_line
        WHERE order_id = $1 AND status = 'allocated' ORDER BY line_id FOR UPDATE`,
      [order.order_id],
    );
    const rates = await this.commissionRates.ratesFor(manager, lines.map((l) => ({ supplierId: l.supplier_id, categoryCode: l.category_code })));
    const released = lines.map((line) => {
      const quantity = line.quantity - line.refunded_quantity;
      const amount = quantity * Number(line.unit_price);
      const rate = rateFor(rates, { supplierId: line.supplier_id, categoryCode: line.category_code });
      return { lineId: line.line_id, supplierId: line.supplier_id, quantity, amount, rate, commission: commissionOf(amount, rate.rateBps) };
    });
    // The rate used is kept with each line: statements and later refunds see what this release did.
    await manager.query(
      `UPDATE order_payment_line l SET status = 'released', released_quantity = r.quantity, commission_rate_bps = r.rate_bps, commission_rate_source = r.source, commission = r.commission
         FROM unnest($2::uuid[], $3::int[], $4::int[], $5::text[], $6::bigint[]) AS r(line_id, quantity, rate_bps, source, commission)
        WHERE l.order_id = $1 AND l.line_id = r.line_id`,
      [
        order.order_id,
        released.map((r) => r.lineId),
        released.map((r) => r.quantity),
        released.map((r) => r.rate.rateBps),
        released.map((r) => r.rate.source),
        released.map((r) => String(r.commission)),
      ],
    );
    await manager.query(`UPDATE order_payment SET released_at = now(), updated_at = now() WHERE order_id = $1`, [order.order_id]);
    const splits = splitBySupplier(released);
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
