import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Identity } from '@kami/platform';
import { isStorableCodeId } from './code-id';
import { codeNotFound } from './code.errors';
import type { CodeEventDto, CodeEventType, CodeHistoryDto, CodeState } from './code.dto';

/** Who is looking: the offer's supplier, the buyer of the sold code, or an operator. */
type Viewer = 'supplier' | 'buyer' | 'operator';

/** Timestamps are read as UTC text with microseconds: events of one request sort right even within a millisecond. */
type Micros = string;
const micros = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

interface CodeRow {
  id: string;
  offer_id: string;
  batch_id: string;
  status: 'available' | 'allocated' | 'void';
  expires_at: Date | null;
  created_at: Micros;
  voided_at: Micros | null;
  void_cause: 'supplier' | 'expired' | null;
  supplier_id: string | null;
  reservation_status: string | null;
  buyer_id: string | null;
  order_id: string | null;
  reserved_at: Micros | null;
  committed_at: Micros | null;
}

interface TimedEvent {
  at: Micros;
  event: Omit<CodeEventDto, 'at'>;
}

/** Same-instant events read in the order they happen. */
const RANK: Record<CodeEventType, number> = { uploaded: 0, reserved: 1, released: 2, expired: 2, sold: 3, revealed: 4, voided: 5 };

/**
 * A code's life, for the people it concerns: its supplier sees that it was reserved, sold and
 * revealed (not to whom, nor the order); its buyer sees its own order and reveals; operators see
 * everything. Never plaintext. Anyone else gets 404, as if the code did not exist.
 */
@Injectable()
export class CodeHistoryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async history(identity: Identity, codeId: string): Promise<CodeHistoryDto> {
    if (!isStorableCodeId(codeId)) throw codeNotFound();
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const rows: CodeRow[] = await manager.query(
        `SELECT c.id::text AS id, c.offer_id, c.batch_id, c.status, c.expires_at,
                ${micros('c.created_at')} AS created_at, ${micros('c.voided_at')} AS voided_at, c.void_cause,
                o.supplier_id, r.status AS reservation_status, r.buyer_id, r.order_id,
                ${micros('r.created_at')} AS reserved_at, ${micros('r.committed_at')} AS committed_at
           FROM code c
           JOIN batch b ON b.id = c.batch_id AND b.status = 'completed'
           LEFT JOIN vault_offer o ON o.offer_id = c.offer_id
           LEFT JOIN reservation r ON r.id = c.reservation_id
          WHERE c.id = $1`,
        [codeId],
      );
      const code = rows[0];
      if (!code) throw codeNotFound();
      const viewer = this.viewerOf(identity, code);
      if (!viewer) throw codeNotFound();
      const org = identity.organisationId;
      const showOrder = (buyerId: string | null): boolean => viewer === 'operator' || (viewer === 'buyer' && buyerId === org);
      const events: TimedEvent[] = [];
      const add = (at: Micros, event: TimedEvent['event'], order?: { orderId: string | null; buyerId: string | null }): void => {
        events.push({ at, event: order?.orderId && showOrder(order.buyerId) ? { ...event, orderId: order.orderId } : event });
      };

      add(code.created_at, { type: 'uploaded' });

      // Reservations that ended unsold. A buyer sees only its own (other buyers' attempts are none of its business).
      const releases: { reason: string; released_at: Micros; reserved_at: Micros | null; order_id: string | null; buyer_id: string | null }[] = await manager.query(
        `SELECT cr.reason, ${micros('cr.released_at')} AS released_at, ${micros('r.created_at')} AS reserved_at, r.order_id, r.buyer_id
           FROM code_release cr LEFT JOIN reservation r ON r.id = cr.reservation_id
          WHERE cr.code_id = $1`,
        [codeId],
      );
      for (const release of releases) {
        if (viewer === 'buyer' && release.buyer_id !== org) continue;
        const order = { orderId: release.order_id, buyerId: release.buyer_id };
        if (release.reserved_at) add(release.reserved_at, { type: 'reserved' }, order);
        add(release.released_at, { type: release.reason === 'expired' ? 'expired' : 'released' }, order);
      }

      // The reservation the code is allocated to now: held (reserved) or committed (sold).
      if (code.status === 'allocated' && code.reserved_at) {
        const order = { orderId: code.order_id, buyerId: code.buyer_id };
        add(code.reserved_at, { type: 'reserved' }, order);
        if (code.reservation_status === 'committed' && code.committed_at) add(code.committed_at, { type: 'sold' }, order);
      }

      const reveals: { revealed_at: Micros; channel: string; order_id: string | null; buyer_id: string }[] = await manager.query(
        `SELECT ${micros('rv.revealed_at')} AS revealed_at, rv.channel, rv.order_id, rv.buyer_id
           FROM reveal_code rc JOIN reveal rv ON rv.id = rc.reveal_id
          WHERE rc.code_id = $1`,
        [codeId],
      );
      for (const reveal of reveals) {
        if (viewer === 'buyer' && reveal.buyer_id !== org) continue;
        add(reveal.revealed_at, { type: 'revealed', channel: reveal.channel }, { orderId: reveal.order_id, buyerId: reveal.buyer_id });
      }

      if (code.voided_at) add(code.voided_at, { type: 'voided', reason: code.void_cause ?? 'supplier' });
      // Disputes (a later issue) join here: a 'disputed' event and its outcome, from the vault's copy of delivery's dispute events.

      events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : RANK[a.event.type] - RANK[b.event.type]));
      return {
        codeId: code.id,
        offerId: code.offer_id,
        batchId: code.batch_id,
        status: this.stateOf(code),
        expiresAt: code.expires_at ? code.expires_at.toISOString() : null,
        events: events.map(({ at, event }) => ({ ...event, at: new Date(at).toISOString() })),
      };
    });
  }

  private viewerOf(identity: Identity, code: CodeRow): Viewer | null {
    switch (identity.organisationType) {
      case 'operator':
        return 'operator';
      case 'supplier':
        return code.supplier_id === identity.organisationId ? 'supplier' : null;
      case 'merchant':
        return code.status === 'allocated' && code.reservation_status === 'committed' && code.buyer_id === identity.organisationId ? 'buyer' : null;
      default:
        return null;
    }
  }

  private stateOf(code: CodeRow): CodeState {
    if (code.status === 'available') return 'available';
    if (code.status === 'void') return 'void';
    return code.reservation_status === 'committed' ? 'sold' : 'reserved';
  }
}
