import { Injectable, type OnModuleInit } from '@nestjs/common';
import { restockOrderRef, RestockPlaced, RestockRefused, RestockRequested, type EventEnvelope, type RestockRequestedPayload } from '@kami/contracts';
import { DomainError, Messaging, type EventContext, type Identity } from '@kami/platform';
import { OrdersService } from '../orders/orders.service';

/** Who places restock orders: the merchant itself, through a principal no person or key has, so its orders are recognisable. */
export const RESTOCK_PRINCIPAL_ID = 'restock-rule';

/**
 * Delivery's auto-restock commands (`delivery.restock.requested`): each becomes an order placed
 * for the merchant exactly as its own API order would be (OrdersService.create: the same quote,
 * limits and balance checks), with fulfilment `stock` and `restock:<requestId>` as both its
 * Idempotency-Key and externalRef, so a redelivered command finds the order it placed. The answer
 * (`ordering.restock.placed` with the order, or `ordering.restock.refused` with the order API's
 * problem code) goes out in the inbox's transaction; a failure that is not a refusal is retried.
 */
@Injectable()
export class RestockConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly orders: OrdersService,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('restock-requests', [
      { events: [RestockRequested], handler: (e, context) => this.requested(e as EventEnvelope<RestockRequestedPayload>, context) },
    ]);
  }

  private async requested(envelope: EventEnvelope<RestockRequestedPayload>, { manager, logger }: EventContext): Promise<void> {
    const request = envelope.payload;
    const identity: Identity = {
      organisationId: request.buyerId,
      organisationType: 'merchant',
      principalType: 'api_key',
      principalId: RESTOCK_PRINCIPAL_ID,
      roles: ['member'],
    };
    const ref = restockOrderRef(request.requestId);
    try {
      const order = await this.orders.create(
        identity,
        { lines: [{ productId: request.productId, quantity: request.quantity, maxUnitPrice: request.maxUnitPrice }], fulfilment: 'stock', externalRef: ref },
        ref,
        envelope.traceId,
      );
      await this.messaging.outbox.append(manager, RestockPlaced, { aggregateId: request.buyerId, payload: { requestId: request.requestId, buyerId: request.buyerId, orderId: order.id } });
      logger.info({ requestId: request.requestId, buyerId: request.buyerId, orderId: order.id }, 'restock order placed');
    } catch (error) {
      // A refusal is the answer (no stock, price above the limit, balance too low…); anything else is retried.
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      await this.messaging.outbox.append(manager, RestockRefused, {
        aggregateId: request.buyerId,
        payload: { requestId: request.requestId, buyerId: request.buyerId, code: error.code, detail: error.detail.slice(0, 500) },
      });
      logger.warn({ requestId: request.requestId, buyerId: request.buyerId, code: error.code }, 'restock order refused');
    }
  }
}
