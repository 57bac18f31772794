import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  PaymentCaptured,
  PaymentFailed,
  type AllocatedLinePayload,
  type AllocationLinePayload,
  type OrderPlacedPayload,
  type PaymentFailureReason,
} from '@kami/contracts';
import { Messaging, SERVICE_CONFIG } from '@kami/platform';
import type { SettlementConfig } from '../config/settlement.config';
import { Ledger } from '../ledger/ledger';
import { transfer } from '../ledger/ledger-rules';

interface OrderRow {
  order_id: string;
  buyer_id: string;
  currency: string | null;
  total: string | null;
  placed: boolean;
  reserved: boolean;
  status: 'awaiting' | 'captured' | 'failed' | 'cancelled';
}

interface LineRow {
  line_id: string;
  supplier_id: string;
  amount: string;
  status: 'pending' | 'paid' | 'allocated' | 'refunded' | 'released';
}

/**
 * Settlement's steps of the order saga, each applied once per order whatever Kafka redelivers
 * (the inbox makes an event count once; the order_payment row and the ledger's idempotency
 * references make the business step count once even when the same fact arrives in two events).
 *
 * ordering.order.placed (what to charge, per line and supplier) and vault.allocation.reserved
 * (the stock is held) arrive on different topics, in either order. When both are in, the total
 * moves from the buyer's wallet into its escrow account (entries reference the order), or the
 * payment fails (insufficient balance, no wallet in the order's currency) and nothing moves.
 * Escrow is one account per buyer and currency; which order each fen belongs to is in the
 * order_payment rows and in the entries' transaction references.
 */
@Injectable()
export class OrderPayments {
  private readonly logger = new Logger(OrderPayments.name);

  constructor(
    private readonly ledger: Ledger,
    private readonly messaging: Messaging,
    @Inject(SERVICE_CONFIG) private readonly config: SettlementConfig,
  ) {}

  /** A merchant exists: its wallet opens (empty) in the platform's currency. */
  async organisationRegistered(manager: EntityManager, organisationId: string, type: string): Promise<void> {
    if (type === 'merchant') await this.ledger.account(manager, organisationId, 'merchant_wallet', 'CNY');
  }

  async placed(manager: EntityManager, order: OrderPlacedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO order_payment (order_id, buyer_id, currency, total, placed) VALUES ($1, $2, $3, $4, true)
       ON CONFLICT (order_id) DO UPDATE SET currency = EXCLUDED.currency, total = EXCLUDED.total, placed = true, updated_at = now()
        WHERE order_payment.placed = false`,
      [order.orderId, order.buyerId, order.currency, order.total],
    );
    await manager.query(
      `INSERT INTO order_payment_line (line_id, order_id, offer_id, supplier_id, quantity, unit_price, amount, category_code)
       SELECT l.line_id, $1, l.offer_id, l.supplier_id, l.quantity, l.unit_price, l.quantity::bigint * l.unit_price, l.category_code
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::bigint[], $7::text[]) AS l(line_id, offer_id, supplier_id, quantity, unit_price, category_code)
       ON CONFLICT (line_id) DO NOTHING`,
      [
        order.orderId,
        order.lines.map((l) => l.lineId),
        order.lines.map((l) => l.offerId),
        order.lines.map((l) => l.supplierId),
        order.lines.map((l) => l.quantity),
        order.lines.map((l) => String(l.unitPrice)),
        order.lines.map((l) => l.categoryCode ?? null),
      ],
    );
    await this.tryCapture(manager, order.orderId);
  }

  async reserved(manager: EntityManager, orderId: string, buyerId: string): Promise<void> {
    await manager.query(
      `INSERT INTO order_payment (order_id, buyer_id, reserved) VALUES ($1, $2, true)
       ON CONFLICT (order_id) DO UPDATE SET reserved = true, updated_at = now() WHERE order_payment.reserved = false`,
      [orderId, buyerId],
    );
    await this.tryCapture(manager, orderId);
  }

  /** Cancelled, rejected or released before payment: the order will never be captured. */
  async ended(manager: EntityManager, orderId: string, why: string): Promise<void> {
    const updated: unknown[] = await manager.query(
      `WITH changed AS (UPDATE order_payment SET status = 'cancelled', failure_reason = $2, updated_at = now() WHERE order_id = $1 AND status = 'awaiting' RETURNING order_id) SELECT * FROM changed`,
      [orderId, why],
    );
    if (updated.length === 0) this.logger.debug({ orderId, why }, 'order ended after it was settled, or unknown here; nothing to do');
  }

  private async tryCapture(manager: EntityManager, orderId: string): Promise<void> {
    const rows: OrderRow[] = await manager.query(
      `SELECT order_id::text, buyer_id::text, currency, total::text, placed, reserved, status FROM order_payment WHERE order_id = $1 FOR UPDATE`,
      [orderId],
    );
    const order = rows[0]!;
    if (order.status !== 'awaiting' || !order.placed || !order.reserved) return;
    const currency = order.currency!;
    const total = Number(order.total);

    const wallets = await this.ledger.accountsOf(manager, order.buyer_id, ['merchant_wallet']);
    if (wallets.length === 0) {
      // Not an organisation this settlement has heard of (another deployment sharing the broker,
      // or identity events lagging far behind): paying or failing it would be a guess. Ordering
      // cancels it when its payment times out.
      this.logger.warn({ orderId, buyerId: order.buyer_id }, 'order of a buyer this settlement has never heard of; ignored');
      return;
    }
    const lines: LineRow[] = await manager.query(`SELECT line_id::text, supplier_id::text, amount::text, status FROM order_payment_line WHERE order_id = $1`, [orderId]);
    const wallet = wallets.find((w) => w.currency === currency);
    if (lines.reduce((n, l) => n + Number(l.amount), 0) !== total) return this.fail(manager, order, 'failed', 'the lines do not add up to the total');
    if (!wallet) return this.fail(manager, order, 'currency_mismatch', `the buyer has no ${currency} wallet`);

    const locked = (await this.ledger.lock(manager, [wallet.id])).get(wallet.id)!;
    if (locked.balance < total) return this.fail(manager, order, 'insufficient_balance', `balance ${locked.balance} < total ${total}`);

    if (total > 0) {
      const escrow = await this.ledger.account(manager, order.buyer_id, 'order_escrow', currency);
      await this.ledger.post(manager, { kind: 'order_capture', reference: orderId, idempotencyRef: `order:${orderId}:capture`, legs: transfer(wallet.id, escrow, currency, total) });
    }
    await manager.query(`UPDATE order_payment SET status = 'captured', captured_at = now(), updated_at = now() WHERE order_id = $1`, [orderId]);
    await manager.query(`UPDATE order_payment_line SET status = 'paid' WHERE order_id = $1 AND status = 'pending'`, [orderId]);
    await this.messaging.outbox.append(manager, PaymentCaptured, { aggregateId: orderId, payload: { orderId, buyerId: order.buyer_id, amount: total, currency } });
  }

  private async fail(manager: EntityManager, order: OrderRow, reason: PaymentFailureReason, detail: string): Promise<void> {
    this.logger.log({ orderId: order.order_id, reason, detail }, 'order payment failed');
    await manager.query(`UPDATE order_payment SET status = 'failed', failure_reason = $2, updated_at = now() WHERE order_id = $1`, [order.order_id, reason]);
    await this.messaging.outbox.append(manager, PaymentFailed, { aggregateId: order.order_id, payload: { orderId: order.order_id, reason } });
  }

  /** Codes sold for these lines: they are held in escrow for the dispute window, then released. */
  async allocated(manager: EntityManager, orderId: string, lines: readonly AllocatedLinePayload[]): Promise<void> {
    const updated: unknown[] = await manager.query(
      `WITH changed AS (UPDATE order_payment_line SET status = 'allocated' WHERE order_id = $1 AND line_id = ANY($2::uuid[]) AND status = 'paid' RETURNING line_id) SELECT * FROM changed`,
      [orderId, lines.map((l) => l.lineId)],
    );
    if (updated.length === 0) return;
    await manager.query(
      `UPDATE order_payment SET release_due_at = coalesce(release_due_at, now() + make_interval(secs => $2)), updated_at = now() WHERE order_id = $1`,
      [orderId, this.config.DISPUTE_WINDOW_SECONDS],
    );
  }

  /** Paid lines the vault could not sell: their amount goes back from escrow to the wallet, once per line. */
  async allocationFailed(manager: EntityManager, orderId: string, lines: readonly AllocationLinePayload[]): Promise<void> {
    const rows: OrderRow[] = await manager.query(`SELECT order_id::text, buyer_id::text, currency, status FROM order_payment WHERE order_id = $1 FOR UPDATE`, [orderId]);
    const order = rows[0];
    if (!order || order.status !== 'captured') {
      this.logger.warn({ orderId }, 'allocation failed for an order this settlement did not capture; nothing to refund');
      return;
    }
    const refunded: { line_id: string; amount: string }[] = await manager.query(
      `WITH changed AS (UPDATE order_payment_line SET status = 'refunded' WHERE order_id = $1 AND line_id = ANY($2::uuid[]) AND status = 'paid' RETURNING line_id::text, amount::text) SELECT * FROM changed`,
      [orderId, lines.map((l) => l.lineId)],
    );
    const currency = order.currency!;
    const wallet = await this.ledger.account(manager, order.buyer_id, 'merchant_wallet', currency);
    const escrow = await this.ledger.account(manager, order.buyer_id, 'order_escrow', currency);
    for (const line of refunded) {
      if (Number(line.amount) === 0) continue;
      await this.ledger.post(manager, {
        kind: 'order_refund',
        reference: orderId,
        idempotencyRef: `order:${orderId}:refund:${line.line_id}`,
        legs: transfer(escrow, wallet, currency, Number(line.amount)),
      });
    }
  }
}
