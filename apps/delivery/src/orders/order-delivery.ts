import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OrderDelivered, type AllocatedLinePayload, type OrderPlacedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { DeliveryNotifications } from './delivery-notifications';

/**
 * Makes an order's sold codes its buyer's, once both facts are in: what ordering placed
 * (ordering.order.placed: buyer, fulfilment, each line's product) and what the vault sold
 * (vault.allocation.committed: the code ids per line). They arrive on different topics, in either
 * order. Then every code gets its one row in the delivery ledger (delivered_code), the order is
 * delivered, `delivery.order.delivered` goes out through the outbox and long-polls wake — all in
 * the consumer's transaction, so it happens once whatever Kafka redelivers.
 */
@Injectable()
export class OrderDelivery {
  private readonly logger = new Logger(OrderDelivery.name);

  constructor(
    private readonly messaging: Messaging,
    private readonly notifications: DeliveryNotifications,
  ) {}

  async placed(manager: EntityManager, order: OrderPlacedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO delivery_order (order_id, buyer_id, fulfilment, placed) VALUES ($1, $2, $3, true)
       ON CONFLICT (order_id) DO UPDATE SET fulfilment = EXCLUDED.fulfilment, placed = true WHERE delivery_order.placed = false`,
      [order.orderId, order.buyerId, order.fulfilment],
    );
    await manager.query(
      `INSERT INTO delivery_line (line_id, order_id, position, product_id, offer_id, supplier_id, quantity)
       SELECT l.line_id, $1, l.position - 1, l.product_id, l.offer_id, l.supplier_id, l.quantity
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::int[]) WITH ORDINALITY AS l(line_id, product_id, offer_id, supplier_id, quantity, position)
       ON CONFLICT (line_id) DO NOTHING`,
      [
        order.orderId,
        order.lines.map((l) => l.lineId),
        order.lines.map((l) => l.productId),
        order.lines.map((l) => l.offerId),
        order.lines.map((l) => l.supplierId),
        order.lines.map((l) => l.quantity),
      ],
    );
    await this.tryDeliver(manager, order.orderId);
  }

  /**
   * Ordering cancelled the order: it will never be delivered, so readers waiting for its codes
   * are answered now. (Placed and cancelled share ordering's topic and key, so placed came first.)
   */
  async cancelled(manager: EntityManager, orderId: string): Promise<void> {
    const changed: unknown[] = await manager.query(
      `WITH changed AS (UPDATE delivery_order SET cancelled_at = now() WHERE order_id = $1 AND cancelled_at IS NULL AND delivered_at IS NULL RETURNING 1) SELECT * FROM changed`,
      [orderId],
    );
    if (changed.length > 0) await this.notifications.orderDelivered(manager, orderId);
  }

  async allocated(manager: EntityManager, orderId: string, buyerId: string, lines: readonly AllocatedLinePayload[]): Promise<void> {
    await manager.query(
      `INSERT INTO delivery_order (order_id, buyer_id, allocated) VALUES ($1, $2, true)
       ON CONFLICT (order_id) DO UPDATE SET allocated = true WHERE delivery_order.allocated = false`,
      [orderId, buyerId],
    );
    await manager.query(
      `INSERT INTO allocated_line (line_id, order_id, offer_id, code_ids)
       SELECT l.line_id, $1, l.offer_id, string_to_array(l.code_ids, ',')::bigint[]
         FROM unnest($2::uuid[], $3::uuid[], $4::text[]) AS l(line_id, offer_id, code_ids)
       ON CONFLICT (line_id) DO NOTHING`,
      [orderId, lines.map((l) => l.lineId), lines.map((l) => l.offerId), lines.map((l) => l.codeIds.join(','))],
    );
    await this.tryDeliver(manager, orderId);
  }

  private async tryDeliver(manager: EntityManager, orderId: string): Promise<void> {
    const rows: { buyer_id: string; fulfilment: 'codes' | 'stock'; placed: boolean; allocated: boolean; delivered: boolean }[] = await manager.query(
      `SELECT buyer_id::text, fulfilment, placed, allocated, delivered_at IS NOT NULL AS delivered FROM delivery_order WHERE order_id = $1 FOR UPDATE`,
      [orderId],
    );
    const order = rows[0]!;
    if (!order.placed || !order.allocated || order.delivered) return;

    // Codes in order: by the line's place in the order, then as the vault listed them.
    const lines: { line_id: string; offer_id: string; product_id: string; code_ids: string[] }[] = await manager.query(
      `SELECT a.line_id::text, a.offer_id::text, l.product_id::text, a.code_ids::text[] AS code_ids
         FROM allocated_line a JOIN delivery_line l ON l.line_id = a.line_id WHERE a.order_id = $1 ORDER BY l.position`,
      [orderId],
    );
    const inserted: { n: number }[] = await manager.query(
      `WITH added AS (
         INSERT INTO delivered_code (code_id, buyer_id, order_id, line_id, product_id, offer_id, supplier_id, position, destination)
         SELECT c.code_id, $2, $1, l.line_id, l.product_id, l.offer_id, l.supplier_id, (row_number() OVER (ORDER BY l.position, c.n))::int - 1, $3
           FROM allocated_line a JOIN delivery_line l ON l.line_id = a.line_id
           CROSS JOIN LATERAL unnest(a.code_ids) WITH ORDINALITY AS c(code_id, n)
          WHERE a.order_id = $1
         ON CONFLICT (code_id) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM added`,
      [orderId, order.buyer_id, order.fulfilment === 'stock' ? 'stock' : 'order'],
    );
    const expected = lines.reduce((n, l) => n + l.code_ids.length, 0);
    if (inserted[0]!.n !== expected) {
      // A code already in the ledger for another order would be a double sale upstream: never hand it out twice.
      throw new Error(`order ${orderId}: ${expected - inserted[0]!.n} of its ${expected} codes are already delivered to another order`);
    }
    await manager.query(`UPDATE delivery_order SET delivered_at = now() WHERE order_id = $1`, [orderId]);
    await this.messaging.outbox.append(manager, OrderDelivered, {
      aggregateId: orderId,
      payload: {
        orderId,
        buyerId: order.buyer_id,
        fulfilment: order.fulfilment,
        lines: lines.map((l) => ({ lineId: l.line_id, offerId: l.offer_id, productId: l.product_id, codeIds: l.code_ids })),
      },
    });
    await this.notifications.orderDelivered(manager, orderId);
    this.logger.log({ orderId, codes: expected, fulfilment: order.fulfilment }, 'order delivered');
  }
}
