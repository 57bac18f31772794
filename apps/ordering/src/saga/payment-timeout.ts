import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { PeriodicTask, ROOT_LOGGER, SERVICE_CONFIG } from '@kami/platform';
import type { OrderingConfig } from '../config/ordering.config';
import { OrderStore } from '../orders/order-store';

const BATCH = 100;

/**
 * Cancels orders not paid within ORDER_PAYMENT_TIMEOUT_SECONDS (still placed or reserved) with
 * payment_timeout; the ordering.order.cancelled event makes vault release what it holds.
 * Instances share the work: locked orders are skipped.
 */
@Injectable()
export class PaymentTimeout implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly task: PeriodicTask;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: OrderStore,
    @Inject(SERVICE_CONFIG) private readonly config: OrderingConfig,
    @Inject(ROOT_LOGGER) private readonly logger: PinoLogger,
  ) {
    this.task = new PeriodicTask({
      intervalMs: config.ORDER_TIMEOUT_SWEEP_INTERVAL_MS,
      run: () => this.sweep(),
      onError: (error) => this.logger.warn({ err: error }, 'payment timeout sweep failed; retrying on the next tick'),
    });
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.task.stop();
  }

  /** Cancels every order past its payment time; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const cancelled = await this.dataSource.transaction(async (manager) => {
        const ids = await this.store.lockStale(manager, this.config.ORDER_PAYMENT_TIMEOUT_SECONDS, BATCH);
        for (const id of ids) await this.store.apply(manager, id, [{ kind: 'cancelled', reason: 'payment_timeout' }], null);
        return ids.length;
      });
      total += cancelled;
      if (cancelled < BATCH) break;
    }
    if (total > 0) this.logger.info({ cancelled: total }, 'orders cancelled for payment timeout');
    return total;
  }
}
