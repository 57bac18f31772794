import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ChangeNotifications, SERVICE_CONFIG, type ChangeWait } from '@kami/platform';
import type { DeliveryConfig } from '../config/delivery.config';

const CHANNEL = 'delivery_order_delivered';

/**
 * Wakes long-polls (GET /api/v1/orders/{id}/codes?wait=) the moment an order is delivered (or cancelled), in
 * whichever delivery instance: the delivering transaction announces it, PostgreSQL delivers the
 * announcement at commit.
 */
@Injectable()
export class DeliveryNotifications implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(DeliveryNotifications.name);
  private readonly notifications: ChangeNotifications;

  constructor(@Inject(SERVICE_CONFIG) config: DeliveryConfig) {
    this.notifications = new ChangeNotifications({
      connectionString: config.DATABASE_URL,
      channel: CHANNEL,
      onError: (error) => this.logger.warn({ err: error }, 'delivery notifications interrupted; reconnecting (waiting readers re-read)'),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.notifications.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.notifications.stop();
  }

  /** Announces, when the caller's transaction commits, that the order was delivered (or will never be: cancelled). */
  orderDelivered(manager: EntityManager, orderId: string): Promise<void> {
    return ChangeNotifications.announce(manager, CHANNEL, orderId);
  }

  /** The next announcement for the order, or false after `timeoutMs`. Register before reading the order. */
  waitForDelivery(orderId: string, timeoutMs: number): ChangeWait {
    return this.notifications.waitFor(orderId, timeoutMs);
  }
}
