import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicTask, SERVICE_CONFIG } from '@kami/platform';
import { ReservationCore } from '@kami/reservation';
import type { VaultConfig } from '../config/vault.config';
import type { ReleaseOutcome } from './allocation-store';
import { Allocator, type AfterCommit } from './allocator';
import { OrderAllocations } from './order-allocations';

const SWEEP_BATCH = 200;

/**
 * Returns abandoned reservations' codes to available. PostgreSQL decides: held reservations past
 * their time are expired there (a whole order at once, so the saga hears one release), then
 * Redis follows. Redis also expires, after a grace period, reservations it holds that never
 * became durable (their process died between Redis and PostgreSQL).
 */
@Injectable()
export class ReservationExpiry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReservationExpiry.name);
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly allocator: Allocator,
    private readonly orders: OrderAllocations,
    private readonly core: ReservationCore,
    @Inject(SERVICE_CONFIG) private readonly config: VaultConfig,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.RESERVATION_EXPIRY_INTERVAL_MS,
      run: () => this.sweep(),
      onError: (error) => this.logger.error({ err: error }, 'reservation expiry sweep failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.task.stop();
  }

  /** Expires everything due at `now`; returns how many reservations ended. */
  async sweep(now = new Date()): Promise<number> {
    let expired = 0;
    for (;;) {
      const due: { id: string; order_id: string | null }[] = await this.dataSource.query(
        `SELECT id::text, order_id::text FROM reservation WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT ${SWEEP_BATCH}`,
        [now],
      );
      if (due.length === 0) break;
      for (const orderId of new Set(due.flatMap((r) => (r.order_id ? [r.order_id] : [])))) {
        const actions: AfterCommit[] = [];
        await this.dataSource.transaction((manager) => this.orders.release(manager, orderId, 'expired', (a) => actions.push(a)));
        for (const action of actions) await action();
      }
      for (const r of due.filter((d) => !d.order_id)) {
        const outcome: ReleaseOutcome = await this.allocator.release(r.id, 'expired');
        if (outcome.status === 'released' && !outcome.replayed) expired += 1;
      }
      expired += due.filter((d) => d.order_id).length;
      if (due.length < SWEEP_BATCH) break;
    }
    await this.sweepRedisOnly(now);
    if (expired > 0) this.logger.log({ expired }, 'expired abandoned reservations');
    return expired;
  }

  private async sweepRedisOnly(now: Date): Promise<void> {
    const graceMs = Math.max(60_000, 3 * this.config.RESERVATION_EXPIRY_INTERVAL_MS);
    const offers: { offer_id: string }[] = await this.dataSource.query(`SELECT offer_id::text FROM offer_stock`);
    for (const { offer_id } of offers) {
      const ids = await this.core.expireDue(offer_id, now.getTime() - graceMs);
      if (ids.length > 0) this.logger.warn({ offerId: offer_id, count: ids.length }, 'expired reservations that existed only in Redis');
    }
  }
}
