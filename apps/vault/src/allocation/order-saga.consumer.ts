import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  OrderCancelled,
  OrderPlaced,
  PaymentCaptured,
  PaymentFailed,
  type EventEnvelope,
  type OrderCancelledPayload,
  type OrderPlacedPayload,
  type PaymentCapturedPayload,
  type PaymentFailedPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { OrderAllocations } from './order-allocations';

/** The vault's side of the order saga: ordering's order events and settlement's payment events. */
@Injectable()
export class OrderSagaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly orders: OrderAllocations,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('order-saga', [
      {
        events: [OrderPlaced],
        handler: (envelope, { manager }) => this.orders.reserve(manager, (envelope as EventEnvelope<OrderPlacedPayload>).payload),
      },
      {
        events: [OrderCancelled],
        handler: async (envelope, { manager, afterCommit }) => {
          await this.orders.release(manager, (envelope as EventEnvelope<OrderCancelledPayload>).payload.orderId, 'cancelled', afterCommit);
        },
      },
      {
        events: [PaymentCaptured],
        handler: (envelope, { manager, afterCommit }) => this.orders.commit(manager, (envelope as EventEnvelope<PaymentCapturedPayload>).payload.orderId, afterCommit),
      },
      {
        events: [PaymentFailed],
        handler: async (envelope, { manager, afterCommit }) => {
          await this.orders.release(manager, (envelope as EventEnvelope<PaymentFailedPayload>).payload.orderId, 'payment_failed', afterCommit);
        },
      },
    ]);
  }
}
