import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  PurchasedStockLow,
  type EventEnvelope,
  type OrderCancelledPayload,
  type OrderDeliveredPayload,
  type OrderPlacedPayload,
  type PurchasedStockLowPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';

/** One order line as a webhook shows it: ids only (plaintext `codes` are added at send time for includeCodes endpoints). */
export interface WebhookLine {
  lineId: string;
  productId: string;
  quantity: number;
  codeIds: string[];
}

/** The body of an order webhook, as stored (never with plaintext). */
export interface OrderWebhookPayload {
  type: 'order.placed' | 'order.delivered' | 'order.cancelled';
  /** When it happened (the event's time), ISO 8601. */
  timestamp: string;
  data: {
    orderId: string;
    status: 'placed' | 'delivered' | 'cancelled';
    /** 1, 2, ... per order, in the order we learnt of its changes: the highest is the latest. */
    revision: number;
    fulfilment?: 'codes' | 'stock';
    reason?: string;
    lines: WebhookLine[];
  };
}

/** The body of a low-stock alert: the buyer's purchased stock of a product fell below its threshold (once per crossing). */
export interface StockWebhookPayload {
  type: 'stock.low';
  timestamp: string;
  data: {
    productId: string;
    /** Codes left in the purchased stock when it crossed. */
    available: number;
    /** The product's low-stock threshold then. */
    threshold: number;
  };
}

export type WebhookPayload = OrderWebhookPayload | StockWebhookPayload;

/** Stock alerts are no order's: they carry no revision of their own, and are stored with 1. */
const STOCK_ALERT_REVISION = 1;

/**
 * Turns order events, and the buyer's low-stock alerts, into webhook deliveries, one per subscribed, enabled endpoint of the buyer,
 * in the consumer's transaction (the inbox makes a redelivered event a no-op, and so does the
 * (endpoint, event) key). Sending happens later, in the dispatcher.
 *
 * Revisions: the delivered and cancelled events bump the order's counter; placed takes revision 1
 * only if nothing about the order came first (delivery.order.v1 and ordering.order.v1 are separate
 * topics: a delivered event may overtake its placed one, which is then stale and not sent).
 * Cancellation does not carry the buyer; placed, on the same partition before it, recorded it.
 */
@Injectable()
export class WebhookEventsConsumer implements OnModuleInit {
  private readonly logger = new Logger(WebhookEventsConsumer.name);

  constructor(private readonly messaging: Messaging) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('webhooks', [
      { events: [OrderPlaced], handler: (e, { manager }) => this.placed(manager, e as EventEnvelope<OrderPlacedPayload>) },
      { events: [OrderDelivered], handler: (e, { manager }) => this.delivered(manager, e as EventEnvelope<OrderDeliveredPayload>) },
      { events: [OrderCancelled], handler: (e, { manager }) => this.cancelled(manager, e as EventEnvelope<OrderCancelledPayload>) },
      { events: [PurchasedStockLow], handler: (e, { manager }) => this.stockLow(manager, e as EventEnvelope<PurchasedStockLowPayload>) },
      // Every handler works through the consumer's manager: the events waiting on a partition share one transaction.
    ], { batched: true });
  }

  async placed(manager: EntityManager, event: EventEnvelope<OrderPlacedPayload>): Promise<void> {
    const order = event.payload;
    const rows: { revision: number }[] = await manager.query(
      `INSERT INTO webhook_order (order_id, buyer_id, revision) VALUES ($1, $2, 1) ON CONFLICT (order_id) DO NOTHING RETURNING revision`,
      [order.orderId, order.buyerId],
    );
    if (!rows[0]) return;
    await this.enqueue(manager, event, order.buyerId, {
      type: 'order.placed',
      timestamp: event.occurredAt,
      data: {
        orderId: order.orderId,
        status: 'placed',
        revision: rows[0].revision,
        fulfilment: order.fulfilment,
        lines: order.lines.map((l) => ({ lineId: l.lineId, productId: l.productId, quantity: l.quantity, codeIds: [] })),
      },
    });
  }

  async delivered(manager: EntityManager, event: EventEnvelope<OrderDeliveredPayload>): Promise<void> {
    const order = event.payload;
    const revision = await this.nextRevision(manager, order.orderId, order.buyerId);
    await this.enqueue(manager, event, order.buyerId, {
      type: 'order.delivered',
      timestamp: event.occurredAt,
      data: {
        orderId: order.orderId,
        status: 'delivered',
        revision,
        fulfilment: order.fulfilment,
        lines: order.lines.map((l) => ({ lineId: l.lineId, productId: l.productId, quantity: l.codeIds.length, codeIds: l.codeIds })),
      },
    });
  }

  async cancelled(manager: EntityManager, event: EventEnvelope<OrderCancelledPayload>): Promise<void> {
    const rows: { buyer_id: string; revision: number }[] = await manager.query(
      `WITH changed AS (UPDATE webhook_order SET revision = revision + 1 WHERE order_id = $1 RETURNING buyer_id::text, revision) SELECT * FROM changed`,
      [event.payload.orderId],
    );
    if (!rows[0]) {
      // Only for an order placed before this consumer existed: nobody subscribed could have known it.
      this.logger.warn({ orderId: event.payload.orderId }, 'cancelled order unknown to webhooks; no webhook sent');
      return;
    }
    await this.enqueue(manager, event, rows[0].buyer_id, {
      type: 'order.cancelled',
      timestamp: event.occurredAt,
      data: { orderId: event.payload.orderId, status: 'cancelled', revision: rows[0].revision, reason: event.payload.reason, lines: [] },
    });
  }

  async stockLow(manager: EntityManager, event: EventEnvelope<PurchasedStockLowPayload>): Promise<void> {
    const alert = event.payload;
    await this.enqueue(manager, event, alert.buyerId, {
      type: 'stock.low',
      timestamp: event.occurredAt,
      data: { productId: alert.productId, available: alert.available, threshold: alert.threshold },
    });
  }

  private async nextRevision(manager: EntityManager, orderId: string, buyerId: string): Promise<number> {
    const rows: { revision: number }[] = await manager.query(
      `INSERT INTO webhook_order (order_id, buyer_id, revision) VALUES ($1, $2, 1)
       ON CONFLICT (order_id) DO UPDATE SET revision = webhook_order.revision + 1 RETURNING revision`,
      [orderId, buyerId],
    );
    return rows[0]!.revision;
  }

  private async enqueue(manager: EntityManager, event: EventEnvelope<object>, organisationId: string, payload: WebhookPayload): Promise<void> {
    const [orderId, revision] = payload.type === 'stock.low' ? [null, STOCK_ALERT_REVISION] : [payload.data.orderId, payload.data.revision];
    const endpoints: { id: string }[] = await manager.query(
      `SELECT id::text FROM webhook_endpoint WHERE organisation_id = $1 AND enabled AND $2 = ANY(events)`,
      [organisationId, payload.type],
    );
    for (const endpoint of endpoints) {
      await manager.query(
        `INSERT INTO webhook_delivery (id, endpoint_id, organisation_id, event_id, event_type, order_id, revision, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
        [randomUUID(), endpoint.id, organisationId, event.id, payload.type, orderId, revision, JSON.stringify(payload)],
      );
    }
    if (endpoints.length > 0) this.logger.log({ orderId, type: payload.type, endpoints: endpoints.length }, 'webhooks queued');
  }
}
