import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { decodeCursor, invalidCursor, toCursorPage, type Identity } from '@kami/platform';
import { DeliveryNotifications } from '../orders/delivery-notifications';
import { MAX_CODES_PER_REVEAL, VaultRevealClient, type RevealChannel } from '../vault/vault-reveal.client';
import type { OrderCodeDto, OrderCodesPageDto, OrderCodesQuery } from './order-codes.dto';
import { codesInStock, orderNotDelivered, orderNotFound } from './order-codes.errors';
import { codeRefunded, HELD } from './withdrawn-codes';

interface BuyersOrder {
  /** Null while only the vault's sale is known, not yet what ordering placed. */
  fulfilment: 'codes' | 'stock' | null;
  delivered: boolean;
  cancelled: boolean;
  /** Every code delivered to it has been taken back (refunded): nothing is the buyer's to read. */
  all_withdrawn: boolean;
}

/** A code of the order as the delivery ledger holds it (no plaintext: that is the vault's). */
interface LedgerCode {
  code_id: string;
  line_id: string;
  product_id: string;
  offer_id: string;
  position: number;
  replaces_code_id: string | null;
  dispute_id: string | null;
  dispute_status: string | null;
}

/**
 * The codes of a buyer's order, read as often as the buyer likes: the ledger (delivered_code)
 * says which codes and in what order (only those the buyer still holds: refunded and replaced
 * codes are never revealed again, a replacement stands in its original's place), the vault's
 * audited reveal gives their plaintext each time (nothing here stores or logs it), and the first
 * reveal of each code is noted in the ledger.
 * Only the buyer finds the order: for anyone else it does not exist.
 */
@Injectable()
export class OrderCodesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly vault: VaultRevealClient,
    private readonly notifications: DeliveryNotifications,
  ) {}

  /** One page of the order's codes in order; `pending` (no items) while it is not delivered, after waiting up to `query.wait` seconds. */
  async page(identity: Identity, orderId: string, query: OrderCodesQuery): Promise<OrderCodesPageDto> {
    const after = query.cursor === undefined ? -1 : positionOf(query.cursor);
    const order = await this.codesOrder(identity.organisationId, orderId, query.wait);
    if (!order.delivered) return { orderId, status: order.cancelled ? 'cancelled' : 'pending', items: [], nextCursor: null };
    const rows = await this.ledgerCodes(identity.organisationId, orderId, after, query.limit + 1);
    const page = toCursorPage(rows, query.limit, (row) => [row.position], (row) => row);
    return { orderId, status: 'delivered', items: await this.reveal(identity, page.items, 'order_codes'), nextCursor: page.nextCursor };
  }

  /**
   * Every code of a delivered order, a vault reveal (≤ 1,000 codes) at a time and only as fast as
   * they are consumed. The order is checked and the first reveal made before this resolves, so
   * those failures are still ordinary problem answers rather than a broken download.
   */
  async allCodes(identity: Identity, orderId: string): Promise<AsyncIterable<OrderCodeDto[]>> {
    const order = await this.codesOrder(identity.organisationId, orderId, 0);
    if (!order.delivered) throw orderNotDelivered();
    const chunks = this.revealedChunks(identity, orderId);
    const first = await chunks.next();
    return (async function* () {
      if (first.done) return;
      yield first.value;
      yield* chunks;
    })();
  }

  private async *revealedChunks(identity: Identity, orderId: string): AsyncGenerator<OrderCodeDto[], void> {
    for (let after = -1; ; ) {
      const rows = await this.ledgerCodes(identity.organisationId, orderId, after, MAX_CODES_PER_REVEAL);
      if (rows.length > 0) yield await this.reveal(identity, rows, 'csv_download');
      if (rows.length < MAX_CODES_PER_REVEAL) return;
      after = rows[rows.length - 1]!.position;
    }
  }

  /**
   * The caller's order, once delivered (or cancelled) or when `waitSeconds` are over. Waiting also covers an
   * order delivery has not heard of yet (placed a moment ago); it is woken by the delivering
   * transaction's announcement, never by polling the database.
   */
  private async codesOrder(buyerId: string, orderId: string, waitSeconds: number): Promise<BuyersOrder> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      // Waiting starts before the read, so a delivery committed in between still wakes this request.
      const wait = this.notifications.waitForDelivery(orderId, deadline - Date.now());
      const rows: BuyersOrder[] = await this.dataSource.query(
        `SELECT fulfilment, delivered_at IS NOT NULL AS delivered, cancelled_at IS NOT NULL AS cancelled,
                EXISTS (SELECT 1 FROM delivered_code c WHERE c.order_id = o.order_id)
                  AND NOT EXISTS (SELECT 1 FROM delivered_code c WHERE c.order_id = o.order_id AND ${HELD}) AS all_withdrawn
           FROM delivery_order o WHERE order_id = $1 AND buyer_id = $2`,
        [orderId, buyerId],
      );
      const order = rows[0];
      if (order?.fulfilment === 'stock' || order?.delivered || order?.cancelled || Date.now() >= deadline) {
        wait.cancel();
        if (!order) throw orderNotFound();
        if (order.fulfilment === 'stock') throw codesInStock();
        // Partly refunded orders simply leave those codes out; a replacement is only ever in its original's place.
        if (order.delivered && order.all_withdrawn) throw codeRefunded();
        return order;
      }
      await wait.changed;
    }
  }

  private ledgerCodes(buyerId: string, orderId: string, afterPosition: number, limit: number): Promise<LedgerCode[]> {
    return this.dataSource.query(
      // A code is disputed at most once (dispute_code is unique), so the join adds no rows. Codes the
      // buyer gave back are left out; at most one code it holds sits at each position (a replacement in its original's).
      `SELECT c.code_id::text, c.line_id::text, c.product_id::text, c.offer_id::text, c.position, c.replaces_code_id::text,
              d.id::text AS dispute_id, d.status AS dispute_status
         FROM delivered_code c LEFT JOIN dispute d ON d.code_id = c.code_id
        WHERE c.order_id = $1 AND c.buyer_id = $2 AND c.position > $3 AND ${HELD}
        ORDER BY c.position LIMIT $4`,
      [orderId, buyerId, afterPosition, limit],
    );
  }

  /** The plaintext of these codes from the vault (audited there), noting each code's first reveal in the ledger. */
  private async reveal(identity: Identity, rows: LedgerCode[], purpose: string): Promise<OrderCodeDto[]> {
    if (rows.length === 0) return [];
    const channel: RevealChannel = identity.principalType === 'api_key' ? 'api' : 'portal';
    const codeIds = rows.map((row) => row.code_id);
    const revealed = new Map(
      (await this.vault.reveal({ buyerId: identity.organisationId, codeIds, channel, actor: identity.principalId, purpose })).map((code) => [code.codeId, code]),
    );
    await this.dataSource.query(
      `UPDATE delivered_code SET first_revealed_at = now(), first_reveal_channel = $2 WHERE code_id = ANY($1::bigint[]) AND first_revealed_at IS NULL`,
      [codeIds, channel],
    );
    return rows.map((row) => {
      const code = revealed.get(row.code_id);
      if (!code) throw new Error(`the vault's reveal left out code ${row.code_id}`);
      return {
        codeId: row.code_id,
        lineId: row.line_id,
        productId: row.product_id,
        offerId: row.offer_id,
        code: code.code,
        ...(code.pin !== undefined ? { pin: code.pin } : {}),
        ...(code.serial !== undefined ? { serial: code.serial } : {}),
        ...(code.redemptionUrl !== undefined ? { redemptionUrl: code.redemptionUrl } : {}),
        expiresAt: code.expiresAt,
        dispute: row.dispute_id ? { id: row.dispute_id, status: row.dispute_status! } : null,
        ...(row.replaces_code_id ? { replacesCodeId: row.replaces_code_id } : {}),
      };
    });
  }
}

/** The position a page cursor continues after (400 invalid_cursor for anything this route did not hand out). */
function positionOf(cursor: string): number {
  const [position] = decodeCursor(cursor, 1);
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) throw invalidCursor();
  return position;
}
