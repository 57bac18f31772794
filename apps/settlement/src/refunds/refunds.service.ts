import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RefundCompleted, type RefundReason, type RefundStage } from '@kami/contracts';
import { decodeCursor, idempotencyKeyReused, invalidCursor, Messaging, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import { Ledger } from '../ledger/ledger';
import { transfer, type Leg } from '../ledger/ledger-rules';
import { lineNotRefundable, orderLineNotFound, refundExceedsLine, refundNotCovered } from './refund.errors';
import type { CreateRefundDto, RefundDto, RefundsQueryDto } from './refund.dto';
import { splitReleasedRefund } from './refund-split';

/** One refund to apply, whoever asked for it. */
export interface RefundRequest {
  /** Names the request: the same one refunds once (`operator:<org>:<Idempotency-Key>`, `dispute:<requestId>`). */
  requestRef: string;
  requestId?: string;
  disputeId?: string;
  orderId: string;
  lineId: string;
  quantity: number;
  reason: RefundReason;
  note?: string;
  requestedBy?: string;
}

interface RefundRow {
  id: string;
  seq: string;
  request_ref: string;
  request_id: string | null;
  dispute_id: string | null;
  order_id: string;
  line_id: string;
  buyer_id: string;
  supplier_id: string;
  quantity: number;
  unit_price: string;
  amount: string;
  currency: string;
  reason: RefundReason;
  note: string | null;
  stage: RefundStage;
  from_escrow: string;
  commission_reversed: string;
  from_payable: string;
  from_deposit: string;
  created_at: Date;
}

const COLUMNS = `id::text, seq::text, request_ref, request_id::text, dispute_id::text, order_id::text, line_id::text, buyer_id::text, supplier_id::text, quantity,
  unit_price::text, amount::text, currency, reason, note, stage, from_escrow::text, commission_reversed::text, from_payable::text, from_deposit::text, created_at`;

const toDto = (r: RefundRow, showBuyer = true): RefundDto => ({
  id: r.id,
  orderId: r.order_id,
  lineId: r.line_id,
  ...(showBuyer ? { buyerId: r.buyer_id } : {}),
  supplierId: r.supplier_id,
  quantity: r.quantity,
  unitPrice: Number(r.unit_price),
  amount: Number(r.amount),
  currency: r.currency,
  reason: r.reason,
  ...(r.note !== null ? { note: r.note } : {}),
  stage: r.stage,
  fromEscrow: Number(r.from_escrow),
  commissionReversed: Number(r.commission_reversed),
  fromPayable: Number(r.from_payable),
  fromDeposit: Number(r.from_deposit),
  ...(r.request_id ? { requestId: r.request_id } : {}),
  ...(r.dispute_id ? { disputeId: r.dispute_id } : {}),
  createdAt: r.created_at.toISOString(),
});

/**
 * Refunds of codes of an order line at the line's unit price, to the buyer's wallet:
 * - before the order's escrow is released, from the buyer's escrow (`refund_from_escrow`);
 * - after it, the release is reversed for those codes (`refund_after_release`): the commission it
 *   took on them comes back from platform revenue, the rest is charged to the supplier's payable
 *   and, for what the payable cannot cover, to its deposit; if both together cannot, the refund is
 *   refused (`refund_not_covered`).
 * Never more codes per line than were sold (refunded_quantity, with a CHECK). Every refusal is
 * decided before anything is written, so a refused request leaves nothing behind. A request is
 * applied once: its reference is unique on the refund row, written with the ledger transaction
 * (`refund:<id>`) and `settlement.refund.completed`, in one database transaction. Operators'
 * HTTP requests and disputes' Kafka requests both come through `refund`.
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: Ledger,
    private readonly messaging: Messaging,
  ) {}

  /** An operator's refund (its Idempotency-Key names it). */
  create(identity: Identity, input: CreateRefundDto, idempotencyKey: string): Promise<RefundDto> {
    return this.dataSource.transaction(async (manager) => {
      const { refund, sameRequest } = await this.refund(manager, {
        requestRef: `operator:${identity.organisationId}:${idempotencyKey}`,
        orderId: input.orderId.toLowerCase(),
        lineId: input.lineId.toLowerCase(),
        quantity: input.quantity,
        reason: input.reason,
        ...(input.note !== undefined ? { note: input.note } : {}),
        requestedBy: identity.organisationId,
      });
      if (!sameRequest) throw idempotencyKeyReused();
      return refund;
    });
  }

  /**
   * Applies a refund in the caller's transaction, or answers the one its reference already made
   * (`sameRequest` false when that one was for another line or quantity: the caller decides).
   * Throws a RefundRefusedError, having written nothing, when it cannot be applied.
   */
  async refund(manager: EntityManager, request: RefundRequest): Promise<{ refund: RefundDto; created: boolean; sameRequest: boolean }> {
    // The order's row serialises its refunds with each other and with its release.
    const orders: { buyer_id: string; currency: string; status: string }[] = await manager.query(
      `SELECT buyer_id::text, currency, status FROM order_payment WHERE order_id = $1 FOR UPDATE`,
      [request.orderId],
    );
    const order = orders[0];

    const existing: RefundRow[] = await manager.query(`SELECT ${COLUMNS} FROM refund WHERE request_ref = $1`, [request.requestRef]);
    if (existing[0]) {
      const row = existing[0];
      const same = row.order_id === request.orderId && row.line_id === request.lineId && row.quantity === request.quantity && row.reason === request.reason;
      if (same) await this.announce(manager, row);
      return { refund: toDto(row), created: false, sameRequest: same };
    }
    if (!order || order.status !== 'captured') throw orderLineNotFound();

    const lines: { supplier_id: string; status: string; quantity: number; refunded_quantity: number; unit_price: string; released_quantity: number | null; commission: string | null }[] =
      await manager.query(
        `SELECT supplier_id::text, status, quantity, refunded_quantity, unit_price::text, released_quantity, commission::text
           FROM order_payment_line WHERE line_id = $1 AND order_id = $2 FOR UPDATE`,
        [request.lineId, request.orderId],
      );
    const line = lines[0];
    if (!line) throw orderLineNotFound();
    // A line the vault could not sell was refunded whole when its allocation failed.
    if (line.status === 'refunded') throw refundExceedsLine(request.quantity, line.quantity, 0);
    if (line.status !== 'allocated' && line.status !== 'released') throw lineNotRefundable(line.status);
    const refundable = line.quantity - line.refunded_quantity;
    if (request.quantity > refundable) throw refundExceedsLine(request.quantity, line.refunded_quantity, refundable);

    const currency = order.currency;
    const unitPrice = Number(line.unit_price);
    const amount = unitPrice * request.quantity;
    const id = randomUUID();
    const legs: Leg[] = [];
    let parts = { fromEscrow: 0, commissionReversed: 0, fromPayable: 0, fromDeposit: 0 };
    let stage: RefundStage;
    const wallet = (): Promise<string> => this.ledger.account(manager, order.buyer_id, 'merchant_wallet', currency);

    if (line.status === 'allocated') {
      stage = 'before_release';
      parts = { ...parts, fromEscrow: amount };
      if (amount > 0) legs.push(...transfer(await this.ledger.account(manager, order.buyer_id, 'order_escrow', currency), await wallet(), currency, amount));
    } else {
      stage = 'after_release';
      const releasedQuantity = line.released_quantity ?? line.quantity;
      // Codes refunded before the release never reached the supplier; the rest were refunded after it.
      const refundedAfterRelease = line.refunded_quantity - (line.quantity - releasedQuantity);
      const payable = await this.ledger.find(manager, line.supplier_id, 'supplier_payable', currency);
      const deposit = await this.ledger.find(manager, line.supplier_id, 'supplier_deposit', currency);
      const locked = await this.ledger.lock(manager, [payable?.id, deposit?.id].filter((a): a is string => a !== undefined));
      const outcome = splitReleasedRefund(
        { unitPrice, releasedQuantity, commission: Number(line.commission ?? 0), refundedAfterRelease },
        request.quantity,
        { payable: (payable && locked.get(payable.id)?.balance) ?? 0, deposit: (deposit && locked.get(deposit.id)?.balance) ?? 0 },
      );
      if (!outcome.covered) throw refundNotCovered(outcome.supplierShare, outcome.available);
      const { split } = outcome;
      parts = { fromEscrow: 0, commissionReversed: split.commissionReversed, fromPayable: split.fromPayable, fromDeposit: split.fromDeposit };
      if (amount > 0) legs.push({ accountId: await wallet(), currency, amount });
      if (split.commissionReversed > 0) legs.push({ accountId: await this.ledger.platformAccount(manager, 'platform_commission_revenue', currency), currency, amount: -split.commissionReversed });
      if (split.fromPayable > 0) legs.push({ accountId: payable!.id, currency, amount: -split.fromPayable });
      if (split.fromDeposit > 0) legs.push({ accountId: deposit!.id, currency, amount: -split.fromDeposit });
    }

    if (legs.length > 0) {
      await this.ledger.post(manager, { kind: stage === 'before_release' ? 'refund_from_escrow' : 'refund_after_release', reference: request.orderId, idempotencyRef: `refund:${id}`, legs });
    }
    await manager.query(`UPDATE order_payment_line SET refunded_quantity = refunded_quantity + $2 WHERE line_id = $1`, [request.lineId, request.quantity]);
    const rows: RefundRow[] = await manager.query(
      `INSERT INTO refund (id, request_ref, request_id, dispute_id, order_id, line_id, buyer_id, supplier_id, quantity, unit_price, amount, currency, reason, note, stage,
                           from_escrow, commission_reversed, from_payable, from_deposit, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING ${COLUMNS}`,
      [
        id,
        request.requestRef,
        request.requestId ?? null,
        request.disputeId ?? null,
        request.orderId,
        request.lineId,
        order.buyer_id,
        line.supplier_id,
        request.quantity,
        unitPrice,
        amount,
        currency,
        request.reason,
        request.note ?? null,
        stage,
        parts.fromEscrow,
        parts.commissionReversed,
        parts.fromPayable,
        parts.fromDeposit,
        request.requestedBy ?? null,
      ],
    );
    const row = rows[0]!;
    await this.announce(manager, row);
    return { refund: toDto(row), created: true, sameRequest: true };
  }

  /** `settlement.refund.completed`, again for a repeated request (its requester may have missed the first). */
  private async announce(manager: EntityManager, row: RefundRow): Promise<void> {
    await this.messaging.outbox.append(manager, RefundCompleted, {
      aggregateId: row.order_id,
      payload: {
        refundId: row.id,
        ...(row.request_id ? { requestId: row.request_id } : {}),
        orderId: row.order_id,
        lineId: row.line_id,
        buyerId: row.buyer_id,
        supplierId: row.supplier_id,
        quantity: row.quantity,
        reason: row.reason,
        stage: row.stage,
        amount: Number(row.amount),
        currency: row.currency,
        fromEscrow: Number(row.from_escrow),
        commissionReversed: Number(row.commission_reversed),
        fromPayable: Number(row.from_payable),
        fromDeposit: Number(row.from_deposit),
      },
    });
  }

  /** An order's refunds as the caller may see them: operators all, the buyer its own, a supplier those charged to it (without the buyer). */
  async list(identity: Identity, query: RefundsQueryDto): Promise<CursorPage<RefundDto>> {
    const scope =
      identity.organisationType === 'operator'
        ? { clause: 'true', params: [] as string[] }
        : identity.organisationType === 'merchant'
          ? { clause: 'buyer_id = $4', params: [identity.organisationId] }
          : { clause: 'supplier_id = $4', params: [identity.organisationId] };
    const after = query.cursor ? decodeCursor(query.cursor, 1)[0] : null;
    if (after !== null && !(typeof after === 'string' && /^\d{1,18}$/.test(after))) throw invalidCursor();
    const rows: RefundRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM refund WHERE order_id = $1 AND ${scope.clause} AND ($2::bigint IS NULL OR seq > $2) ORDER BY seq LIMIT $3`,
      [query.orderId.toLowerCase(), after, query.limit + 1, ...scope.params],
    );
    return toCursorPage(
      rows,
      query.limit,
      (r) => [r.seq],
      (r) => toDto(r, identity.organisationType !== 'supplier'),
    );
  }
}
