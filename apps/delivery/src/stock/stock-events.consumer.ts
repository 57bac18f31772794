import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  OrderCancelled,
  OrderDelivered,
  RestockPlaced,
  RestockRefused,
  type EventEnvelope,
  type OrderCancelledPayload,
  type OrderDeliveredPayload,
  type RestockPlacedPayload,
  type RestockRefusedPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { Restock } from './restock';
import { StockLevels } from './stock-levels';

/**
 * What purchased stock learns from events: ordering's answers to restock requests, and the end
 * of orders (a stock order delivered re-arms low-stock alarms and closes its restock request; a
 * cancelled one closes it too).
 */
@Injectable()
export class StockEventsConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly restock: Restock,
    private readonly levels: StockLevels,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('purchased-stock', [
      { events: [RestockPlaced], handler: (e, { manager }) => this.restock.placed(manager, (e as EventEnvelope<RestockPlacedPayload>).payload) },
      { events: [RestockRefused], handler: (e, { manager }) => this.restock.refused(manager, (e as EventEnvelope<RestockRefusedPayload>).payload) },
      {
        events: [OrderDelivered],
        // Orders delivered for download or pull are not stock: no transaction for them.
        when: (order) => (order as OrderDeliveredPayload).fulfilment === 'stock',
        handler: async (e, { manager }) => {
          const order = (e as EventEnvelope<OrderDeliveredPayload>).payload;
          await this.restock.orderEnded(manager, order.orderId, 'delivered');
          await this.levels.rearm(manager, order.buyerId, [...new Set(order.lines.map((l) => l.productId))]);
        },
      },
      // Placed orders share the topic and are skipped unread: only cancellations matter here.
      { events: [OrderCancelled], handler: (e, { manager }) => this.restock.orderEnded(manager, (e as EventEnvelope<OrderCancelledPayload>).payload.orderId, 'cancelled') },
    ]);
  }
}
