import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  AllocationFailed,
  CodesAllocated,
  OrderCancelled,
  OrderPlaced,
  OrganisationRegistered,
  ReservationReleased,
  StockRejected,
  StockReserved,
  type AllocationFailedPayload,
  type CodesAllocatedPayload,
  type EventEnvelope,
  type OrderCancelledPayload,
  type OrderPlacedPayload,
  type OrganisationRegisteredPayload,
  type ReservationReleasedPayload,
  type StockRejectedPayload,
  type StockReservedPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { OrderPayments } from './order-payments';

/** Settlement's side of the order saga: ordering's order events and the vault's allocation events (and new merchants' wallets). */
@Injectable()
export class OrderSagaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly payments: OrderPayments,
  ) {}

  onModuleInit(): void {
    const payload = <P extends object>(envelope: EventEnvelope<object>): P => (envelope as EventEnvelope<P>).payload;
    this.messaging.registerConsumer('order-payments', [
      { events: [OrderPlaced], handler: (e, { manager }) => this.payments.placed(manager, payload<OrderPlacedPayload>(e)) },
      {
        events: [StockReserved],
        handler: (e, { manager }) => {
          const p = payload<StockReservedPayload>(e);
          return this.payments.reserved(manager, p.orderId, p.buyerId);
        },
      },
      { events: [OrderCancelled], handler: (e, { manager }) => this.payments.ended(manager, payload<OrderCancelledPayload>(e).orderId, 'order_cancelled') },
      { events: [StockRejected], handler: (e, { manager }) => this.payments.ended(manager, payload<StockRejectedPayload>(e).orderId, 'stock_rejected') },
      { events: [ReservationReleased], handler: (e, { manager }) => this.payments.ended(manager, payload<ReservationReleasedPayload>(e).orderId, 'reservation_released') },
      {
        events: [CodesAllocated],
        handler: (e, { manager }) => {
          const p = payload<CodesAllocatedPayload>(e);
          return this.payments.allocated(manager, p.orderId, p.lines);
        },
      },
      {
        events: [AllocationFailed],
        handler: (e, { manager }) => {
          const p = payload<AllocationFailedPayload>(e);
          return this.payments.allocationFailed(manager, p.orderId, p.lines);
        },
      },
    ], { batched: true });
    this.messaging.registerConsumer('organisations', [
      {
        events: [OrganisationRegistered],
        handler: (e, { manager }) => {
          const p = payload<OrganisationRegisteredPayload>(e);
          return this.payments.organisationRegistered(manager, p.organisationId, p.type);
        },
      },
    ]);
  }
}
