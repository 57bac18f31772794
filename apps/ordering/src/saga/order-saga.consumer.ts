import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  AllocationFailed,
  CodesAllocated,
  OrderDelivered,
  PaymentCaptured,
  PaymentFailed,
  ReservationReleased,
  StockRejected,
  StockReserved,
  type AllocationFailedPayload,
  type CodesAllocatedPayload,
  type EventEnvelope,
  type PaymentCapturedPayload,
  type PaymentFailedPayload,
  type ReservationReleasedPayload,
} from '@kami/contracts';
import { Messaging, type EventContext } from '@kami/platform';
import { captureFact, type OrderFact } from '../orders/order-state';
import { OrderStore } from '../orders/order-store';

type WithOrder = { orderId: string };

/**
 * Ordering's side of the choreographed saga: it moves each order by what vault, settlement and
 * delivery report. Each event is applied once (inbox), and the state machine ignores a duplicate, late or
 * out-of-order fact, so nothing moves backwards or twice. Cancellations emit
 * ordering.order.cancelled (see OrderStore.apply).
 */
@Injectable()
export class OrderSagaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly store: OrderStore,
  ) {}

  onModuleInit(): void {
    const on = (facts: (payload: never) => OrderFact[]) => async (envelope: EventEnvelope<object>, context: EventContext) =>
      this.apply(envelope as EventEnvelope<WithOrder>, facts(envelope.payload as never), context);

    this.messaging.registerConsumer('order-saga', [
      { events: [StockReserved], handler: on(() => [{ kind: 'reserved' }]) },
      { events: [StockRejected], handler: on(() => [{ kind: 'cancelled', reason: 'out_of_stock' }]) },
      {
        events: [PaymentCaptured],
        handler: async (envelope, context) => {
          const captured = (envelope as EventEnvelope<PaymentCapturedPayload>).payload;
          const charge = await this.store.chargeOf(context.manager, captured.orderId);
          // An unknown order moves nothing either way (apply logs it).
          const fact = charge ? captureFact(charge, captured) : { kind: 'paid' as const };
          if (charge && fact.kind !== 'paid') {
            context.logger.error(
              { orderId: captured.orderId, eventId: envelope.id, expected: charge, captured: { buyerId: captured.buyerId, amount: captured.amount, currency: captured.currency } },
              'captured payment does not match the order: not paid',
            );
          }
          await this.apply(envelope as EventEnvelope<WithOrder>, [fact], context);
        },
      },
      {
        events: [PaymentFailed],
        handler: on((p: PaymentFailedPayload) => [{ kind: 'cancelled', reason: p.reason === 'insufficient_balance' ? 'insufficient_balance' : 'failed' }]),
      },
      {
        events: [ReservationReleased],
        // The vault let the reservation expire before payment came: the order timed out. Other
        // releases answer ordering's own cancellation or settlement's failure, already applied.
        handler: on((p: ReservationReleasedPayload) => (p.reason === 'expired' ? [{ kind: 'cancelled', reason: 'payment_timeout' }] : [])),
      },
      {
        events: [CodesAllocated],
        handler: async (envelope, context) => {
          const { orderId, lines } = (envelope as EventEnvelope<CodesAllocatedPayload>).payload;
          await this.store.markLines(context.manager, orderId, lines.map((l) => ({ lineId: l.lineId, allocated: l.codeIds.length })));
          await this.apply(envelope as EventEnvelope<WithOrder>, [{ kind: 'allocated' }], context);
        },
      },
      // The delivery service made the sold codes available to the buyer (per order, or as stock).
      { events: [OrderDelivered], handler: on(() => [{ kind: 'delivered' }]) },
      {
        events: [AllocationFailed],
        handler: async (envelope, context) => {
          const { orderId, lines, reason } = (envelope as EventEnvelope<AllocationFailedPayload>).payload;
          await this.store.markLines(context.manager, orderId, lines.map((l) => ({ lineId: l.lineId, failed: true })));
          await this.apply(envelope as EventEnvelope<WithOrder>, [{ kind: 'failed', reason }], context);
        },
      },
    ], { batched: true });
  }

  private async apply(envelope: EventEnvelope<WithOrder>, facts: OrderFact[], { manager, logger }: EventContext): Promise<void> {
    if (facts.length === 0) return;
    const orderId = envelope.payload.orderId;
    const made = await this.store.apply(manager, orderId, facts, envelope.id);
    if (made.length > 0) {
      logger.info({ orderId, transitions: made.map((t) => `${t.from}→${t.to}`) }, 'order moved');
    } else {
      const rows: { status: string }[] = await manager.query(`SELECT status FROM purchase_order WHERE id = $1`, [orderId]);
      const status = rows[0]?.status;
      if (status === 'cancelled' && facts.some((f) => f.kind === 'paid' || f.kind === 'allocated')) {
        // Settlement or vault acted on an order ordering had already cancelled (a race with the
        // timeout): vault reports unsold lines for a refund; this needs an operator's eye.
        logger.error({ orderId, eventType: envelope.type }, 'payment or allocation reported for a cancelled order');
      } else {
        logger.debug({ orderId, status, eventType: envelope.type }, 'event does not move the order (unknown, duplicate or late)');
      }
    }
  }
}
