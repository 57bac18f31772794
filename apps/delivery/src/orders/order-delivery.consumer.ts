import { Injectable, type OnModuleInit } from '@nestjs/common';
import { CodesAllocated, OrderCancelled, OrderPlaced, type CodesAllocatedPayload, type EventEnvelope, type OrderCancelledPayload, type OrderPlacedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { OrderDelivery } from './order-delivery';

/** Delivery's step of the order saga: ordering's placed (and cancelled) orders and the vault's sold codes. */
@Injectable()
export class OrderDeliveryConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly delivery: OrderDelivery,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('order-delivery', [
      { events: [OrderPlaced], handler: (e, { manager }) => this.delivery.placed(manager, (e as EventEnvelope<OrderPlacedPayload>).payload) },
      { events: [OrderCancelled], handler: (e, { manager }) => this.delivery.cancelled(manager, (e as EventEnvelope<OrderCancelledPayload>).payload.orderId) },
      {
        events: [CodesAllocated],
        handler: (e, { manager }) => {
          const p = (e as EventEnvelope<CodesAllocatedPayload>).payload;
          return this.delivery.allocated(manager, p.orderId, p.buyerId, p.lines);
        },
      },
    ], { batched: true });
  }
}
