import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { preparedQuery } from '@kami/platform';

/** Changes to an offer's counts; each code moves from one count to another (uploads add to `uploaded` and `available`). */
export interface StockDelta {
  uploaded?: number;
  available?: number;
  reserved?: number;
  sold?: number;
  voided?: number;
}

/** One offer's delta, with the supplier its counter row is created for if it has none yet. */
export interface StockChange {
  offerId: string;
  supplierId: string;
  delta: StockDelta;
}

export interface OfferStock {
  offerId: string;
  supplierId: string;
  uploaded: number;
  available: number;
  reserved: number;
  sold: number;
  voided: number;
  sequence: number;
}

/**
 * Each offer's code counts, moved in the same transaction as the codes they count: the row's
 * CHECK makes PostgreSQL refuse any change that would lose a code (invariant 2). Every change
 * bumps the offer's sequence; the StockPublisher turns changes into events off the hot path.
 */
@Injectable()
export class StockLedger {
  async apply(manager: EntityManager, offerId: string, supplierId: string, delta: StockDelta): Promise<void> {
    await this.applyMany(manager, [{ offerId, supplierId, delta }]);
  }

  /** Moves several offers' counts in one statement, in offer order (concurrent transactions lock counter rows in the same order). */
  async applyMany(manager: EntityManager, changes: StockChange[]): Promise<void> {
    if (changes.length === 0) return;
    const sorted = [...changes].sort((a, b) => (a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0));
    const n = (subset: typeof sorted, pick: (d: StockDelta) => number | undefined): number[] => subset.map((c) => pick(c.delta) ?? 0);
    // The counter rows are locked in offer order before they move (the materialised CTE): an
    // UPDATE ... FROM alone locks rows in whatever order its join yields them, and two flushes
    // locking two offers in opposite orders would deadlock.
    const move = async (subset: typeof sorted): Promise<Set<string>> => {
      const moved = await preparedQuery<{ offer_id: string }>(
        manager,
        'vault_stock_move',
        `WITH locked AS MATERIALIZED (
           SELECT offer_id FROM offer_stock WHERE offer_id = ANY($1::uuid[]) ORDER BY offer_id FOR UPDATE),
         moved AS (
           UPDATE offer_stock s SET uploaded = s.uploaded + v.uploaded, available = s.available + v.available,
                  reserved = s.reserved + v.reserved, sold = s.sold + v.sold, voided = s.voided + v.voided,
                  sequence = s.sequence + 1, updated_at = now()
             FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
                  AS v(offer_id, uploaded, available, reserved, sold, voided)
                  JOIN locked l ON l.offer_id = v.offer_id
            WHERE s.offer_id = v.offer_id
            RETURNING s.offer_id::text AS offer_id)
         SELECT offer_id FROM moved`,
        [subset.map((c) => c.offerId), n(subset, (d) => d.uploaded), n(subset, (d) => d.available), n(subset, (d) => d.reserved), n(subset, (d) => d.sold), n(subset, (d) => d.voided)],
      );
      return new Set(moved.map((r) => r.offer_id));
    };
    const moved = await move(sorted);
    if (moved.size === sorted.length) return;
    // A first change of an offer: its row is created empty (a CHECK applies to a proposed INSERT
    // row too, so negative deltas cannot go through an upsert), then moved like the others.
    const missing = sorted.filter((c) => !moved.has(c.offerId));
    await manager.query(
      `INSERT INTO offer_stock (offer_id, supplier_id) SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT (offer_id) DO NOTHING`,
      [missing.map((c) => c.offerId), missing.map((c) => c.supplierId)],
    );
    await move(missing);
  }

  async get(manager: EntityManager, offerId: string): Promise<OfferStock | null> {
    const rows: Record<string, string>[] = await manager.query(
      `SELECT offer_id, supplier_id, uploaded, available, reserved, sold, voided, sequence FROM offer_stock WHERE offer_id = $1`,
      [offerId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      offerId: r.offer_id!,
      supplierId: r.supplier_id!,
      uploaded: Number(r.uploaded),
      available: Number(r.available),
      reserved: Number(r.reserved),
      sold: Number(r.sold),
      voided: Number(r.voided),
      sequence: Number(r.sequence),
    };
  }
}
