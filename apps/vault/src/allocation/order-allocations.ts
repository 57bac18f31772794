import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AllocationFailed,
  CodesAllocated,
  ReservationReleased,
  StockRejected,
  StockReserved,
  type AllocationFailure,
  type AllocationLinePayload,
  type ReleaseReason,
  type StockShortfallPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';
import { ReservationCore, type ReserveResult } from '@kami/reservation';
import type { CommitOutcome, ReleaseOutcome, ReserveOutcome } from './allocation-store';
import { Allocator, type AfterCommit } from './allocator';

type Taken = Extract<ReserveResult, { status: 'reserved' }>;

interface OrderRow {
  order_id: string;
  buyer_id: string;
  status: 'reserved' | 'rejected' | 'committed' | 'released';
}

/** PostgreSQL refused codes Redis offered: Redis has been repaired; the event is retried. */
export class StaleStockError extends Error {
  constructor(offerIds: string[]) {
    super(`stale stock in Redis for offer(s) ${offerIds.join(', ')}; repaired, retrying`);
  }
}

/**
 * The vault's steps of the order saga, each applied once per order whatever Kafka redelivers
 * (the allocation_order row records where the order stands): reserve every line or none, sell
 * the reservations when payment is captured, release them when the order is cancelled, payment
 * fails, or they expire. Only code ids leave the vault.
 */
@Injectable()
export class OrderAllocations {
  private readonly logger = new Logger(OrderAllocations.name);

  constructor(
    private readonly allocator: Allocator,
    private readonly core: ReservationCore,
    private readonly messaging: Messaging,
  ) {}

  async reserve(manager: EntityManager, order: { orderId: string; buyerId: string; lines: AllocationLinePayload[] }): Promise<void> {
    const { orderId, buyerId, lines } = order;
    if (await this.lockOrder(manager, orderId)) return;

    const { unknown, unavailable } = await this.offerStates(manager, lines);
    if (unknown.length === new Set(lines.map((l) => l.offerId)).size) {
      // None of its offers were ever announced to this vault: not an order for this vault
      // (another deployment sharing the broker), or catalog events lagging far behind. Ordering
      // cancels it when it times out; reserving or rejecting it here would be a guess.
      this.logger.warn({ orderId, offers: unknown.length }, 'order for offers this vault has never heard of; ignored');
      return;
    }
    if (unavailable.length > 0 || unknown.length > 0) {
      const shortfall = [...unknown, ...unavailable].map((offerId) => ({ offerId, requested: requestedOf(lines, offerId), available: 0 }));
      return this.reject(manager, orderId, buyerId, 'offer_unavailable', shortfall);
    }

    // Take every line in Redis first; any line short means the order takes nothing.
    const taken: { line: AllocationLinePayload; taken: Taken }[] = [];
    const short = new Map<string, number>();
    for (const line of lines) {
      const result = await this.takeLine(manager, orderId, buyerId, line);
      if (result.status === 'reserved') taken.push({ line, taken: result });
      else if (result.status === 'insufficient') short.set(line.offerId, Math.min(short.get(line.offerId) ?? Infinity, result.available));
      else throw new Error(`order line ${line.lineId} was reserved before by another order`);
    }
    if (short.size > 0) {
      // PostgreSQL never saw these: hand them straight back to Redis.
      for (const t of taken) await this.core.repair(t.line.offerId, t.line.lineId, t.taken.codeIds);
      const shortfall = [...short].map(([offerId, left]) => {
        const takenHere = taken.filter((t) => t.line.offerId === offerId).reduce((n, t) => n + t.line.quantity, 0);
        return { offerId, requested: requestedOf(lines, offerId), available: takenHere + left };
      });
      return this.reject(manager, orderId, buyerId, 'insufficient_stock', shortfall);
    }

    const outcomes = (await this.allocator.applyIn(
      manager,
      taken.map(({ line, taken: t }) => this.allocator.reserveOp({ reservationId: line.lineId, offerId: line.offerId, quantity: line.quantity, orderId, buyerId }, t)),
    )) as ReserveOutcome[];
    const stale = outcomes.flatMap((o, i) => (o.status === 'stale' ? [{ outcome: o, line: taken[i]!.line }] : []));
    if (stale.length > 0) {
      for (const { outcome, line } of stale) {
        if (outcome.status === 'stale') await this.core.repair(line.offerId, line.lineId, outcome.valid);
      }
      await this.allocator.staleStock(stale.map((s) => s.line.offerId));
      throw new StaleStockError(stale.map((s) => s.line.offerId));
    }
    if (outcomes.some((o) => o.status !== 'reserved')) throw new Error(`order ${orderId}: a line's reservation id had been used and ended`);

    const expiresAt = new Date(Math.min(...outcomes.map((o) => (o.status === 'reserved' ? o.expiresAt.getTime() : Infinity))));
    await manager.query(`INSERT INTO allocation_order (order_id, buyer_id, status) VALUES ($1, $2, 'reserved')`, [orderId, buyerId]);
    await this.messaging.outbox.append(manager, StockReserved, {
      aggregateId: orderId,
      payload: { orderId, buyerId, expiresAt: expiresAt.toISOString(), lines: lines.map(({ lineId, offerId, quantity }) => ({ lineId, offerId, quantity })) },
    });
  }

  /** Payment captured: the order's reservations are sold; lines whose reservation had ended are reported for a refund. */
  async commit(manager: EntityManager, orderId: string, afterCommit: (a: AfterCommit) => void): Promise<void> {
    const order = await this.orderForUpdate(manager, orderId);
    if (!order) {
      this.logger.warn({ orderId }, 'payment captured for an order this vault never reserved; ignored');
      return;
    }
    if (order.status === 'committed') return;
    const reservations = await this.reservationsOf(manager, orderId);
    if (order.status !== 'reserved') {
      // Paid but nothing held any more (expired or released first): report it so the money goes back.
      const reason: AllocationFailure = order.status === 'rejected' ? 'not_reserved' : reservations.some((r) => r.status === 'expired') ? 'reservation_expired' : 'reservation_released';
      if (reservations.length > 0) await this.failed(manager, order, reason, reservations);
      else this.logger.error({ orderId }, 'payment captured for an order the vault rejected; nothing to refund from here');
      return;
    }
    const outcomes = (await this.allocator.applyIn(manager, reservations.map((r) => ({ kind: 'commit' as const, reservationId: r.id })))) as CommitOutcome[];
    const sold = reservations.flatMap((r, i) => {
      const o = outcomes[i]!;
      return o.status === 'committed' ? [{ lineId: r.id, offerId: r.offer_id, codeIds: o.codeIds }] : [];
    });
    const lost = reservations.filter((_, i) => outcomes[i]!.status !== 'committed');
    if (sold.length > 0) {
      await this.messaging.outbox.append(manager, CodesAllocated, { aggregateId: orderId, payload: { orderId, buyerId: order.buyer_id, lines: sold } });
    }
    if (lost.length > 0) await this.failed(manager, order, 'reservation_expired', lost);
    await this.setStatus(manager, orderId, 'committed', lost.length > 0 ? 'partly_expired' : null);
    reservations.forEach((r, i) => afterCommit(this.allocator.afterCommitOf(r.id, outcomes[i]!)));
  }

  /** Cancelled or unpaid: everything still held for the order goes back to available. */
  async release(manager: EntityManager, orderId: string, reason: ReleaseReason, afterCommit: (a: AfterCommit) => void): Promise<boolean> {
    const order = await this.orderForUpdate(manager, orderId);
    if (!order || order.status !== 'reserved') return false;
    const held = (await this.reservationsOf(manager, orderId)).filter((r) => r.status === 'held');
    const outcomes = (await this.allocator.applyIn(manager, held.map((r) => ({ kind: 'release' as const, reservationId: r.id, reason })))) as ReleaseOutcome[];
    await this.setStatus(manager, orderId, 'released', reason);
    await this.messaging.outbox.append(manager, ReservationReleased, { aggregateId: orderId, payload: { orderId, reason } });
    held.forEach((r, i) => afterCommit(this.allocator.afterReleaseOf(r.id, reason, outcomes[i]!)));
    return true;
  }

  /** Takes a line's codes in Redis; a reservation id Redis remembers but PostgreSQL never recorded is forgotten and taken afresh. */
  private async takeLine(manager: EntityManager, orderId: string, buyerId: string, line: AllocationLinePayload): Promise<Exclude<ReserveResult, { status: 'not_loaded' }>> {
    const request = { reservationId: line.lineId, offerId: line.offerId, quantity: line.quantity, orderId, buyerId };
    const first = await this.allocator.takeInRedis(request);
    if (first.status !== 'ended') return first;
    const rows: unknown[] = await manager.query(`SELECT 1 FROM reservation WHERE id = $1`, [line.lineId]);
    if (rows.length > 0) return first;
    await this.core.repair(line.offerId, line.lineId, []);
    return this.allocator.takeInRedis(request);
  }

  private async reject(manager: EntityManager, orderId: string, buyerId: string, reason: 'insufficient_stock' | 'offer_unavailable', shortfall: StockShortfallPayload[]): Promise<void> {
    await manager.query(`INSERT INTO allocation_order (order_id, buyer_id, status, reason) VALUES ($1, $2, 'rejected', $3)`, [orderId, buyerId, reason]);
    await this.messaging.outbox.append(manager, StockRejected, { aggregateId: orderId, payload: { orderId, reason, shortfall } });
  }

  private async failed(manager: EntityManager, order: OrderRow, reason: AllocationFailure, lines: { id: string; offer_id: string; quantity: number }[]): Promise<void> {
    await this.messaging.outbox.append(manager, AllocationFailed, {
      // One failure report per order, however often payment capture is redelivered.
      eventId: derivedUuid(`vault.allocation.failed:${order.order_id}`),
      aggregateId: order.order_id,
      payload: { orderId: order.order_id, buyerId: order.buyer_id, reason, lines: lines.map((l) => ({ lineId: l.id, offerId: l.offer_id, quantity: l.quantity })) },
    });
  }

  /** Serialises the saga steps of one order; true when the order was already placed. */
  private async lockOrder(manager: EntityManager, orderId: string): Promise<boolean> {
    // A transaction-scoped advisory lock: two deliveries of the same order never reserve side by side.
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [orderId]);
    return (await this.orderForUpdate(manager, orderId)) !== undefined;
  }

  private async orderForUpdate(manager: EntityManager, orderId: string): Promise<OrderRow | undefined> {
    const rows: OrderRow[] = await manager.query(`SELECT order_id, buyer_id, status FROM allocation_order WHERE order_id = $1 FOR UPDATE`, [orderId]);
    return rows[0];
  }

  private async reservationsOf(manager: EntityManager, orderId: string): Promise<{ id: string; offer_id: string; quantity: number; status: string }[]> {
    return manager.query(`SELECT id::text, offer_id::text, quantity, status FROM reservation WHERE order_id = $1 ORDER BY created_at, id`, [orderId]);
  }

  private async setStatus(manager: EntityManager, orderId: string, status: OrderRow['status'], reason: string | null): Promise<void> {
    await manager.query(`UPDATE allocation_order SET status = $2, reason = $3, updated_at = now() WHERE order_id = $1`, [orderId, status, reason]);
  }

  /** Offers the vault never heard of, and offers it knows that are not active (paused, delisted, draft). */
  private async offerStates(manager: EntityManager, lines: AllocationLinePayload[]): Promise<{ unknown: string[]; unavailable: string[] }> {
    const offerIds = [...new Set(lines.map((l) => l.offerId))];
    const rows: { offer_id: string; status: string }[] = await manager.query(
      `SELECT offer_id::text AS offer_id, status FROM vault_offer WHERE offer_id = ANY($1::uuid[])`,
      [offerIds],
    );
    const status = new Map(rows.map((r) => [r.offer_id, r.status]));
    return {
      unknown: offerIds.filter((id) => !status.has(id)),
      unavailable: offerIds.filter((id) => status.has(id) && status.get(id) !== 'active'),
    };
  }
}

/** A uuid derived from a name (stable across retries), shaped as a version-4 uuid. */
function derivedUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function requestedOf(lines: AllocationLinePayload[], offerId: string): number {
  return lines.filter((l) => l.offerId === offerId).reduce((n, l) => n + l.quantity, 0);
}
