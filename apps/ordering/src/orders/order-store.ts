import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OrderCancelled, type OrderCancelReason, type OrderFulfilment } from '@kami/contracts';
import { decodeCursor, Messaging, toCursorPage, type CursorPage } from '@kami/platform';
import type { RoutedLine } from '../routing/order-routing';
import { OrderStatusWatch } from './order-status-watch';
import { TERMINAL_STATUSES, transitionsFor, type OrderCharge, type OrderFact, type OrderStatus, type Transition } from './order-state';

/** A routed line as stored: its id (vault's reservation id) and what vault reported for it. */
export interface OrderLineRecord extends RoutedLine {
  id: string;
  allocated: number;
  failed: boolean;
}

export interface TransitionRecord {
  from: OrderStatus | null;
  to: OrderStatus;
  reason: string | null;
  eventId: string | null;
  at: string;
}

export interface OrderRecord {
  id: string;
  buyerId: string;
  status: OrderStatus;
  statusReason: string | null;
  currency: string;
  total: number;
  fulfilment: OrderFulfilment;
  externalRef: string | null;
  idempotencyKey: string;
  requestFingerprint: string;
  createdAt: string;
  updatedAt: string;
  lines: OrderLineRecord[];
  transitions?: TransitionRecord[];
}

export interface OrderFilter {
  /** Only this buyer's orders (merchants); all when undefined (operators). */
  buyerId?: string;
  externalRef?: string;
  status?: OrderStatus;
  productId?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

interface OrderRow {
  id: string;
  buyer_id: string;
  status: OrderStatus;
  status_reason: string | null;
  currency: string;
  total: string;
  fulfilment: OrderFulfilment;
  external_ref: string | null;
  idempotency_key: string;
  request_fingerprint: string;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  id: string; order_id: string; request_index: number; product_id: string; offer_id: string; supplier_id: string; quantity: number;
  unit_price: string; line_total: string; max_unit_price: string | null; allocated: number; failed: boolean;
}

/** A transition as read; `at` is a Date from a column, text from JSON. */
interface TransitionRow { from_status: OrderStatus | null; to_status: OrderStatus; reason: string | null; event_id: string | null; at: Date | string }

function toRecord(r: OrderRow, lines: LineRow[]): OrderRecord {
  return {
    id: r.id,
    buyerId: r.buyer_id,
    status: r.status,
    statusReason: r.status_reason,
    currency: r.currency,
    total: Number(r.total),
    fulfilment: r.fulfilment,
    externalRef: r.external_ref,
    idempotencyKey: r.idempotency_key,
    requestFingerprint: r.request_fingerprint,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    lines: lines.map((l) => ({
      id: l.id,
      requestIndex: l.request_index,
      productId: l.product_id,
      offerId: l.offer_id,
      supplierId: l.supplier_id,
      quantity: l.quantity,
      unitPrice: Number(l.unit_price),
      lineTotal: Number(l.line_total),
      maxUnitPrice: l.max_unit_price === null ? null : Number(l.max_unit_price),
      allocated: l.allocated,
      failed: l.failed,
    })),
  };
}

const toTransition = (t: TransitionRow): TransitionRecord => ({ from: t.from_status, to: t.to_status, reason: t.reason, eventId: t.event_id, at: new Date(t.at).toISOString() });

const ORDER_COLUMNS = `id, buyer_id, status, status_reason, currency, total::text AS total, fulfilment, external_ref, idempotency_key, request_fingerprint, created_at, updated_at`;

/** A uuid derived from a name (stable across retries and redeliveries), shaped as a version-4 uuid. */
export function derivedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Orders, their routed lines and their transitions in ordering's database; every state change is a guarded transition. */
@Injectable()
export class OrderStore {
  constructor(
    private readonly messaging: Messaging,
    private readonly statusWatch: OrderStatusWatch,
  ) {}

  /**
   * Stores a placed order, its lines and its first transition in one statement, and returns it as
   * find() would read it back (without the read).
   */
  async insert(manager: EntityManager, order: Omit<OrderRecord, 'status' | 'statusReason' | 'createdAt' | 'updatedAt' | 'transitions'>, placedEventId: string): Promise<OrderRecord> {
    const rows: { created_at: Date; updated_at: Date; at: Date }[] = await manager.query(
      `WITH placed AS (
         INSERT INTO purchase_order (id, buyer_id, status, currency, total, fulfilment, external_ref, idempotency_key, request_fingerprint)
         VALUES ($1, $2, 'placed', $3, $4, $5, $6, $7, $8) RETURNING created_at, updated_at),
       lines AS (
         INSERT INTO order_line (id, order_id, position, request_index, product_id, offer_id, supplier_id, quantity, unit_price, line_total, max_unit_price)
         SELECT * FROM unnest($9::uuid[], $10::uuid[], $11::int[], $12::int[], $13::uuid[], $14::uuid[], $15::uuid[], $16::int[], $17::bigint[], $18::bigint[], $19::bigint[])),
       first AS (
         INSERT INTO order_transition (order_id, from_status, to_status, reason, event_id) VALUES ($1, NULL, 'placed', NULL, $20) RETURNING at)
       SELECT placed.created_at, placed.updated_at, first.at FROM placed, first`,
      [
        order.id, order.buyerId, order.currency, order.total, order.fulfilment, order.externalRef, order.idempotencyKey, order.requestFingerprint,
        order.lines.map((l) => l.id),
        order.lines.map(() => order.id),
        order.lines.map((_, i) => i),
        order.lines.map((l) => l.requestIndex),
        order.lines.map((l) => l.productId),
        order.lines.map((l) => l.offerId),
        order.lines.map((l) => l.supplierId),
        order.lines.map((l) => l.quantity),
        order.lines.map((l) => l.unitPrice),
        order.lines.map((l) => l.lineTotal),
        order.lines.map((l) => l.maxUnitPrice),
        placedEventId,
      ],
    );
    const stored = rows[0]!;
    return {
      id: order.id,
      buyerId: order.buyerId,
      status: 'placed',
      statusReason: null,
      currency: order.currency,
      total: order.total,
      fulfilment: order.fulfilment,
      externalRef: order.externalRef,
      idempotencyKey: order.idempotencyKey,
      requestFingerprint: order.requestFingerprint,
      createdAt: stored.created_at.toISOString(),
      updatedAt: stored.updated_at.toISOString(),
      lines: order.lines.map((l) => ({
        id: l.id,
        requestIndex: l.requestIndex,
        productId: l.productId,
        offerId: l.offerId,
        supplierId: l.supplierId,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        lineTotal: l.lineTotal,
        maxUnitPrice: l.maxUnitPrice,
        allocated: 0,
        failed: false,
      })),
      transitions: [{ from: null, to: 'placed', reason: null, eventId: placedEventId, at: stored.at.toISOString() }],
    };
  }

  /** One order with its lines (and its transitions when asked); a buyer filter makes another merchant's order invisible. */
  async find(manager: EntityManager, where: { id?: string; buyerId?: string; idempotencyKey?: string; externalRef?: string }, withTransitions = false): Promise<OrderRecord | null> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (where.id !== undefined) add('id = ?', where.id);
    if (where.buyerId !== undefined) add('buyer_id = ?', where.buyerId);
    if (where.idempotencyKey !== undefined) add('idempotency_key = ?', where.idempotencyKey);
    if (where.externalRef !== undefined) add('external_ref = ?', where.externalRef);
    if (conditions.length === 0) throw new Error('OrderStore.find needs a condition');
    // One statement: the order with its lines (and its transitions) as JSON, mapped as list() maps its rows.
    const rows: (OrderRow & { lines: LineRow[]; transitions: TransitionRow[] | null })[] = await manager.query(
      `SELECT ${ORDER_COLUMNS},
              (SELECT coalesce(json_agg(json_build_object(
                        'id', l.id, 'order_id', l.order_id, 'request_index', l.request_index, 'product_id', l.product_id, 'offer_id', l.offer_id,
                        'supplier_id', l.supplier_id, 'quantity', l.quantity, 'unit_price', l.unit_price::text, 'line_total', l.line_total::text,
                        'max_unit_price', l.max_unit_price::text, 'allocated', l.allocated, 'failed', l.failed) ORDER BY l.position), '[]')
                 FROM order_line l WHERE l.order_id = o.id) AS lines,
              ${withTransitions ? `(SELECT coalesce(json_agg(json_build_object('from_status', t.from_status, 'to_status', t.to_status, 'reason', t.reason, 'event_id', t.event_id, 'at', t.at) ORDER BY t.id), '[]')
                 FROM order_transition t WHERE t.order_id = o.id)` : 'NULL'} AS transitions
         FROM purchase_order o WHERE ${conditions.join(' AND ')} LIMIT 1`,
      params,
    );
    const row = rows[0];
    if (!row) return null;
    const order = toRecord(row, row.lines);
    if (row.transitions) order.transitions = row.transitions.map(toTransition);
    return order;
  }

  async list(manager: EntityManager, filter: OrderFilter): Promise<CursorPage<OrderRecord>> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.buyerId !== undefined) conditions.push(`o.buyer_id = ${param(filter.buyerId)}`);
    if (filter.externalRef !== undefined) conditions.push(`o.external_ref = ${param(filter.externalRef)}`);
    if (filter.status !== undefined) conditions.push(`o.status = ${param(filter.status)}`);
    if (filter.productId !== undefined) conditions.push(`EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = o.id AND l.product_id = ${param(filter.productId)})`);
    if (filter.from !== undefined) conditions.push(`o.created_at >= ${param(filter.from)}::timestamptz`);
    if (filter.to !== undefined) conditions.push(`o.created_at < ${param(filter.to)}::timestamptz`);
    if (filter.cursor !== undefined) {
      const [at, id] = decodeCursor(filter.cursor, 2);
      conditions.push(`(o.created_at, o.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows: OrderRow[] = await manager.query(
      `SELECT ${ORDER_COLUMNS.split(', ').map((c) => `o.${c}`).join(', ')} FROM purchase_order o ${where}
        ORDER BY o.created_at DESC, o.id DESC LIMIT ${param(filter.limit + 1)}`,
      params,
    );
    const orders = await this.withLines(manager, rows);
    return toCursorPage(orders, filter.limit, (o) => [o.createdAt, o.id], (o) => o);
  }

  /**
   * Applies what happened to an order, if it moves it: locks the order, asks the state machine,
   * records each transition with the event that caused it. Returns the transitions made (none for
   * a duplicate, late or unknown order). A cancellation also emits ordering.order.cancelled.
   */
  async apply(manager: EntityManager, orderId: string, facts: OrderFact[], eventId: string | null): Promise<Transition[]> {
    const rows: { status: OrderStatus }[] = await manager.query(`SELECT status FROM purchase_order WHERE id = $1 FOR UPDATE`, [orderId]);
    if (!rows[0]) return [];
    let status = rows[0].status;
    const made: Transition[] = [];
    for (const fact of facts) {
      const path = transitionsFor(status, fact);
      made.push(...path);
      if (path.length > 0) status = path[path.length - 1]!.to;
    }
    if (made.length === 0) return made;
    // One statement for the transitions, in their order (a fact can make several: reserved → paid → allocated).
    await manager.query(
      `INSERT INTO order_transition (order_id, from_status, to_status, reason, event_id)
       SELECT $1, t.from_status, t.to_status, t.reason, $5 FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(from_status, to_status, reason, n) ORDER BY t.n`,
      [orderId, made.map((t) => t.from), made.map((t) => t.to), made.map((t) => t.reason), eventId],
    );
    const last = made[made.length - 1]!;
    await manager.query(`UPDATE purchase_order SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1`, [orderId, last.to, last.reason]);
    // Long-polls wait for an order's end: only that wakes them (not every step on the way).
    if (TERMINAL_STATUSES.includes(last.to)) await this.statusWatch.announce(manager, orderId);
    if (last.to === 'cancelled') {
      // One cancellation event per order, however often the cause is redelivered. Vault releases on
      // it (a no-op when it already released on payment.failed or rejected the order), and it is
      // the one signal downstream services (settlement, delivery) need that the order is over.
      await this.messaging.outbox.append(manager, OrderCancelled, {
        eventId: derivedUuid(`ordering.order.cancelled:${orderId}`),
        aggregateId: orderId,
        payload: { orderId, reason: last.reason as OrderCancelReason },
      });
    }
    return made;
  }

  /** What the order must be paid (null for an order this ordering does not know). */
  async chargeOf(manager: EntityManager, orderId: string): Promise<OrderCharge | null> {
    const rows: { buyer_id: string; total: string; currency: string }[] = await manager.query(
      `SELECT buyer_id, total::text AS total, currency FROM purchase_order WHERE id = $1`,
      [orderId],
    );
    const row = rows[0];
    return row ? { buyerId: row.buyer_id, total: Number(row.total), currency: row.currency } : null;
  }

  /** Records how many codes vault sold per line (committed), or that it could not sell them (failed). */
  async markLines(manager: EntityManager, orderId: string, lines: { lineId: string; allocated?: number; failed?: boolean }[]): Promise<void> {
    for (const line of lines) {
      await manager.query(
        `UPDATE order_line SET allocated = COALESCE($3, allocated), failed = failed OR $4 WHERE id = $1 AND order_id = $2`,
        [line.lineId, orderId, line.allocated ?? null, line.failed ?? false],
      );
    }
  }

  /** Orders placed or reserved (not paid) before `olderThanSeconds` ago, locked for this transaction (others skip them). */
  async lockStale(manager: EntityManager, olderThanSeconds: number, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT id FROM purchase_order
        WHERE status IN ('placed', 'reserved') AND created_at < now() - $1::int * interval '1 second'
        ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [olderThanSeconds, limit],
    );
    return rows.map((r) => r.id);
  }

  private async withLines(manager: EntityManager, rows: OrderRow[]): Promise<OrderRecord[]> {
    if (rows.length === 0) return [];
    const lineRows: LineRow[] = await manager.query(
      `SELECT id, order_id, request_index, product_id, offer_id, supplier_id, quantity, unit_price::text, line_total::text, max_unit_price::text, allocated, failed
         FROM order_line WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, position`,
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => toRecord(r, lineRows.filter((l) => l.order_id === r.id)));
  }
}
