import { randomUUID } from 'node:crypto';
import type { ServiceInstance } from '@kami/testing';

/*
 * TEST FIXTURES standing in for the allocation saga (which does this for real, through Redis and
 * Kafka, in a later change): they move codes the way its guarded transitions will, in one SQL
 * statement each so the offer's counts never disagree with the codes. Use them only to put codes
 * into the reserved or sold state for tests of reveal, void and history.
 */

type Vault = Pick<ServiceInstance, 'query'>;

export interface FixtureReservation {
  /** the reservation id, which is the order line id */
  lineId: string;
  orderId: string;
  codeIds: string[];
}

export interface ReserveFixtureInput {
  offerId: string;
  buyerId: string;
  /** How many available codes to take (lowest ids first), unless codeIds names them. */
  count?: number;
  codeIds?: string[];
  orderId?: string;
  lineId?: string;
  /** `committed`: sold to the buyer; `held`: reserved, not sold yet. */
  status: 'held' | 'committed';
}

/** Takes available codes of an offer into a reservation of the buyer (held or committed) and moves the counts. */
export async function reserveCodesFixture(vault: Vault, input: ReserveFixtureInput): Promise<FixtureReservation> {
  const lineId = input.lineId ?? randomUUID();
  const orderId = input.orderId ?? randomUUID();
  const rows = await vault.query<{ id: string }>(
    `WITH picked AS (
       SELECT id FROM code
        WHERE offer_id = $1 AND status = 'available' AND ($7::bigint[] IS NULL OR id = ANY($7::bigint[]))
        ORDER BY id LIMIT $2 FOR UPDATE),
     reservation_row AS (
       INSERT INTO reservation (id, offer_id, order_id, buyer_id, quantity, code_ids, status, expires_at, committed_at)
       SELECT $3, $1, $4, $5, count(*), array_agg(id ORDER BY id), $6, now() + interval '15 minutes',
              CASE WHEN $6 = 'committed' THEN now() END
         FROM picked
       RETURNING id),
     moved AS (
       UPDATE code SET status = 'allocated', reservation_id = $3 WHERE id IN (SELECT id FROM picked) RETURNING id),
     counted AS (
       UPDATE offer_stock SET
         available = available - (SELECT count(*) FROM picked),
         reserved = reserved + CASE WHEN $6 = 'held' THEN (SELECT count(*) FROM picked) ELSE 0 END,
         sold = sold + CASE WHEN $6 = 'committed' THEN (SELECT count(*) FROM picked) ELSE 0 END,
         updated_at = now()
        WHERE offer_id = $1 AND EXISTS (SELECT 1 FROM reservation_row)
       RETURNING offer_id)
     SELECT moved.id::text AS id FROM moved, counted ORDER BY moved.id`,
    [input.offerId, input.codeIds?.length ?? input.count ?? 1, lineId, orderId, input.buyerId, input.status, input.codeIds ?? null],
  );
  const wanted = input.codeIds?.length ?? input.count ?? 1;
  if (rows.length !== wanted) throw new Error(`reserveCodesFixture: wanted ${wanted} available codes of offer ${input.offerId}, moved ${rows.length}`);
  return { lineId, orderId, codeIds: rows.map((r) => r.id) };
}

/** Sells available codes of an offer to a buyer: a committed reservation, codes allocated to it, available → sold. */
export function sellCodesFixture(vault: Vault, input: Omit<ReserveFixtureInput, 'status'>): Promise<FixtureReservation> {
  return reserveCodesFixture(vault, { ...input, status: 'committed' });
}

/** Ends a held reservation unsold (released or expired): its codes become available again and each gets a code_release row. */
export async function endReservationFixture(vault: Vault, lineId: string, reason: 'released' | 'expired'): Promise<string[]> {
  const rows = await vault.query<{ id: string }>(
    `WITH ended AS (
       UPDATE reservation SET status = $2, ended_at = now(), end_reason = $2
        WHERE id = $1 AND status = 'held'
       RETURNING id, offer_id, code_ids),
     returned AS (
       UPDATE code SET status = 'available', reservation_id = NULL
        WHERE id IN (SELECT unnest(code_ids) FROM ended) AND reservation_id = $1
       RETURNING id),
     logged AS (
       INSERT INTO code_release (code_id, reservation_id, reason) SELECT id, $1, $2 FROM returned RETURNING code_id),
     counted AS (
       UPDATE offer_stock SET available = available + (SELECT count(*) FROM returned), reserved = reserved - (SELECT count(*) FROM returned), updated_at = now()
        WHERE offer_id = (SELECT offer_id FROM ended)
       RETURNING offer_id)
     SELECT logged.code_id::text AS id FROM logged, counted ORDER BY logged.code_id`,
    [lineId, reason],
  );
  if (rows.length === 0) throw new Error(`endReservationFixture: reservation ${lineId} was not held`);
  return rows.map((r) => r.id);
}
