import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RestockRequested, type RestockPlacedPayload, type RestockRefusedPayload } from '@kami/contracts';
import { Messaging, SERVICE_CONFIG } from '@kami/platform';
import type { DeliveryConfig } from '../config/delivery.config';
import type { RestockRequestDto, RestockRequestStatus, RestockRuleDto, RestockRuleInputDto } from './stock.dto';
import { restockRuleNotFound } from './stock.errors';
import { restockRetryAt } from './restock-backoff';

export interface RestockRule {
  belowQuantity: number;
  orderQuantity: number;
  maxUnitPrice: number;
}

interface RuleRow {
  below_quantity: number;
  order_quantity: number;
  max_unit_price: string;
  updated_at: Date;
}

interface RequestRow {
  request_id: string;
  quantity: number;
  max_unit_price: string;
  status: RestockRequestStatus;
  order_id: string | null;
  refusal_code: string | null;
  requested_at: Date;
  updated_at: Date;
}

const IN_FLIGHT = `status IN ('requested', 'placed')`;
/** Requests that came to nothing: they count towards the backoff. */
const CAME_TO_NOTHING = `status IN ('refused', 'cancelled')`;

/**
 * Auto-restock: per (merchant, product) a rule "below N codes, order M at most P fen each". A
 * pull that leaves fewer than N codes, with no request of that product in flight, asks ordering
 * for the order (delivery.restock.requested, in the pull's transaction); ordering answers placed
 * or refused, and the order's end (delivered into stock, or cancelled) closes the request. At most
 * one request per product is in flight (a partial unique index), and one left without an answer
 * for RESTOCK_REQUEST_TIMEOUT_SECONDS stops blocking the next. After requests that came to nothing
 * (refused, or the order cancelled) the next one waits, doubling (restock-backoff.ts).
 */
@Injectable()
export class Restock {
  private readonly logger = new Logger(Restock.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: Messaging,
    @Inject(SERVICE_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  async rule(manager: EntityManager, buyerId: string, productId: string): Promise<RestockRuleDto> {
    const rows: RuleRow[] = await manager.query(
      `SELECT below_quantity, order_quantity, max_unit_price::text, updated_at FROM restock_rule WHERE buyer_id = $1 AND product_id = $2`,
      [buyerId, productId],
    );
    const rule = rows[0];
    if (!rule) throw restockRuleNotFound();
    const requests: RequestRow[] = await manager.query(
      `SELECT request_id::text, quantity, max_unit_price::text, status, order_id::text, refusal_code, requested_at, updated_at
         FROM restock_request WHERE buyer_id = $1 AND product_id = $2 ORDER BY requested_at DESC LIMIT 1`,
      [buyerId, productId],
    );
    const retryAt = await this.retryAt(manager, buyerId, productId);
    return {
      productId,
      belowQuantity: rule.below_quantity,
      orderQuantity: rule.order_quantity,
      maxUnitPrice: Number(rule.max_unit_price),
      updatedAt: rule.updated_at.toISOString(),
      lastRequest: requests[0] ? toRequest(requests[0]) : null,
      retryAfter: retryAt?.toISOString() ?? null,
    };
  }

  async setRule(buyerId: string, productId: string, input: RestockRuleInputDto): Promise<RestockRuleDto> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO restock_rule (buyer_id, product_id, below_quantity, order_quantity, max_unit_price) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (buyer_id, product_id) DO UPDATE
           SET below_quantity = EXCLUDED.below_quantity, order_quantity = EXCLUDED.order_quantity, max_unit_price = EXCLUDED.max_unit_price, updated_at = now()`,
        [buyerId, productId, input.belowQuantity, input.orderQuantity, input.maxUnitPrice],
      );
      return this.rule(manager, buyerId, productId);
    });
  }

  /** Removes the rule; a request already in flight still ends as ordering and delivery decide. */
  async deleteRule(buyerId: string, productId: string): Promise<void> {
    const deleted: unknown[] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM restock_rule WHERE buyer_id = $1 AND product_id = $2 RETURNING 1) SELECT * FROM gone`,
      [buyerId, productId],
    );
    if (deleted.length === 0) throw restockRuleNotFound();
  }

  /** The buyer's rule of the product, if any (read in a pull's transaction). */
  async ruleOf(manager: EntityManager, buyerId: string, productId: string): Promise<RestockRule | undefined> {
    const rows: RuleRow[] = await manager.query(
      `SELECT below_quantity, order_quantity, max_unit_price::text, updated_at FROM restock_rule WHERE buyer_id = $1 AND product_id = $2`,
      [buyerId, productId],
    );
    const row = rows[0];
    return row && { belowQuantity: row.below_quantity, orderQuantity: row.order_quantity, maxUnitPrice: Number(row.max_unit_price) };
  }

  /**
   * Asks ordering for the rule's order unless one of the product is in flight or the backoff after
   * requests that came to nothing has not passed yet (in the caller's transaction).
   */
  async request(manager: EntityManager, buyerId: string, productId: string, rule: RestockRule): Promise<void> {
    await manager.query(
      `UPDATE restock_request SET status = 'expired', updated_at = now()
        WHERE buyer_id = $1 AND product_id = $2 AND ${IN_FLIGHT} AND requested_at < now() - make_interval(secs => $3)`,
      [buyerId, productId, this.config.RESTOCK_REQUEST_TIMEOUT_SECONDS],
    );
    if ((await this.retryAt(manager, buyerId, productId)) !== null) return;
    const requestId = randomUUID();
    const inserted: unknown[] = await manager.query(
      `INSERT INTO restock_request (request_id, buyer_id, product_id, quantity, max_unit_price) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (buyer_id, product_id) WHERE ${IN_FLIGHT} DO NOTHING RETURNING 1`,
      [requestId, buyerId, productId, rule.orderQuantity, rule.maxUnitPrice],
    );
    if (inserted.length === 0) return;
    await this.messaging.outbox.append(manager, RestockRequested, {
      aggregateId: buyerId,
      payload: { requestId, buyerId, productId, quantity: rule.orderQuantity, maxUnitPrice: rule.maxUnitPrice },
    });
    this.logger.log({ buyerId, productId, requestId, quantity: rule.orderQuantity }, 'restock requested');
  }

  /**
   * Ordering placed the order: in flight until delivered or cancelled (already delivered if
   * delivery saw the order first). An expired request only learns its order (it must not come
   * back in flight beside a newer one).
   */
  async placed(manager: EntityManager, answer: RestockPlacedPayload): Promise<void> {
    await manager.query(
      `UPDATE restock_request r
          SET status = CASE
                WHEN status <> 'requested' THEN status
                WHEN EXISTS (SELECT 1 FROM delivery_order o WHERE o.order_id = $2 AND o.delivered_at IS NOT NULL) THEN 'delivered'
                ELSE 'placed' END,
              order_id = $2, updated_at = now()
        WHERE request_id = $1 AND buyer_id = $3 AND status IN ('requested', 'expired')`,
      [answer.requestId, answer.orderId, answer.buyerId],
    );
  }

  async refused(manager: EntityManager, answer: RestockRefusedPayload): Promise<void> {
    const updated: unknown[] = await manager.query(
      `WITH changed AS (
         UPDATE restock_request SET status = 'refused', refusal_code = $2, refusal_detail = $3, updated_at = now()
          WHERE request_id = $1 AND buyer_id = $4 AND status IN ('requested', 'expired') RETURNING 1)
       SELECT * FROM changed`,
      [answer.requestId, answer.code, answer.detail ?? null, answer.buyerId],
    );
    if (updated.length > 0) this.logger.warn({ requestId: answer.requestId, buyerId: answer.buyerId, code: answer.code }, 'restock order refused by ordering');
  }

  /**
   * Until when the next request of the product waits: the requests that came to nothing since the
   * last delivered one and since the rule last changed, counted and timed by the database's clock.
   */
  private async retryAt(manager: EntityManager, buyerId: string, productId: string): Promise<Date | null> {
    const [row]: { failures: number; last_failed_at: Date | null; now: Date }[] = await manager.query(
      `SELECT count(*)::int AS failures, max(r.updated_at) AS last_failed_at, now() AS now
         FROM restock_request r
        WHERE r.buyer_id = $1 AND r.product_id = $2 AND r.${CAME_TO_NOTHING}
          AND r.requested_at > COALESCE((SELECT rr.updated_at FROM restock_rule rr WHERE rr.buyer_id = $1 AND rr.product_id = $2), '-infinity')
          AND r.requested_at > COALESCE(
                (SELECT max(d.requested_at) FROM restock_request d WHERE d.buyer_id = $1 AND d.product_id = $2 AND d.status = 'delivered'),
                '-infinity')`,
      [buyerId, productId],
    );
    return restockRetryAt(row.failures, row.last_failed_at, this.config.RESTOCK_RETRY_BASE_SECONDS, this.config.RESTOCK_RETRY_MAX_SECONDS, row.now);
  }

  /** The restock order ended: its codes are in stock (delivered) or it will never come (cancelled). */
  async orderEnded(manager: EntityManager, orderId: string, status: 'delivered' | 'cancelled'): Promise<void> {
    await manager.query(`UPDATE restock_request SET status = $2, updated_at = now() WHERE order_id = $1 AND status IN ('placed', 'expired')`, [orderId, status]);
  }
}

const toRequest = (row: RequestRow): RestockRequestDto => ({
  requestId: row.request_id,
  quantity: row.quantity,
  maxUnitPrice: Number(row.max_unit_price),
  status: row.status,
  orderId: row.order_id,
  refusalCode: row.refusal_code,
  requestedAt: row.requested_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});
