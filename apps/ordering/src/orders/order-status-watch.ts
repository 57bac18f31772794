import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ChangeNotifications, SERVICE_CONFIG, type ChangeWait } from '@kami/platform';
import type { OrderingConfig } from '../config/ordering.config';

const CHANNEL = 'ordering_order_status';

/**
 * Wakes long-polling readers of an order (GET /api/v1/orders/{id}?wait=) when its status moves,
 * in whichever ordering instance the move happened: the saga announces each move in its
 * transaction, PostgreSQL delivers the announcement at commit.
 */
@Injectable()
export class OrderStatusWatch implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OrderStatusWatch.name);
  private readonly notifications: ChangeNotifications;

  constructor(@Inject(SERVICE_CONFIG) config: OrderingConfig) {
    this.notifications = new ChangeNotifications({
      connectionString: config.DATABASE_URL,
      channel: CHANNEL,
      onError: (error) => this.logger.warn({ err: error }, 'order status notifications interrupted; reconnecting (waiting readers re-read)'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.notifications.stop();
  }

  /** Announces, when the caller's transaction commits, that the order's status moved. */
  announce(manager: EntityManager, orderId: string): Promise<void> {
    return ChangeNotifications.announce(manager, CHANNEL, orderId);
  }

  /** The next announced move of the order's status, or false after `timeoutMs`. Register before reading the order. */
  waitFor(orderId: string, timeoutMs: number): ChangeWait {
    return this.notifications.waitFor(orderId, timeoutMs);
  }
}
