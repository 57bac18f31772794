import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ReleaseReason } from '@kami/contracts';
import { preparedQuery } from '@kami/platform';
import { CatalogProjection } from '../catalog-projection/catalog-projection.service';
import { StockLedger, type StockChange, type StockDelta } from '../stock/stock-ledger';

/** Codes Redis handed to a reservation, to be made durable by a guarded transition. */
export interface ReserveOp {
  kind: 'reserve';
  reservationId: string;
  offerId: string;
  codeIds: string[];
  expiresAt: Date;
  orderId?: string;
  buyerId?: string;
}
export interface CommitOp {
  kind: 'commit';
  reservationId: string;
}
export interface ReleaseOp {
  kind: 'release';
  reservationId: string;
  reason: ReleaseReason;
}
export type AllocationOp = ReserveOp | CommitOp | ReleaseOp;

export type EndedState = 'committed' | 'released' | 'expired';

export type ReserveOutcome =
  | { status: 'reserved'; offerId: string; codeIds: string[]; expiresAt: Date; replayed: boolean }
  /** The reservation id is taken by an earlier reservation that has ended. */
  | { status: 'ended'; offerId: string; state: EndedState; codeIds: string[] }
  /** PostgreSQL refused some of the codes (a stale Redis): nothing was written. `valid` were available. */
  | { status: 'stale'; offerId: string; valid: string[]; refused: string[] };

export type CommitOutcome =
  | { status: 'committed'; offerId: string; codeIds: string[]; replayed: boolean }
  /** `released`: this commit ended the reservation itself (a code of it was past its expiry); Redis must follow. */
  | { status: 'ended'; offerId: string; state: 'released' | 'expired'; released?: Extract<ReleaseOutcome, { status: 'released' }> }
  | { status: 'unknown' };

export type ReleaseOutcome =
  /** `voided`: codes past their expiry, which left stock instead of going back on sale. */
  | { status: 'released'; offerId: string; codeIds: string[]; replayed: boolean; voided: string[] }
  | { status: 'committed'; offerId: string }
  | { status: 'unknown' };

export type AllocationOutcome = ReserveOutcome | CommitOutcome | ReleaseOutcome;

interface ReservationRow {
  id: string;
  offer_id: string;
  status: 'held' | EndedState;
  code_ids: string[];
  expires_at: Date;
}

/**
 * The PostgreSQL side of allocation: every change is a guarded transition, so whatever Redis
 * claims, a code is allocated only while it is available, a reservation is committed only while
 * it is held, and a committed reservation never gives its codes back. Many operations go through
 * one call (one transaction, a handful of set statements), which is how allocation stays fast.
 * Outcomes are in the order of `ops`; stock counts move in the same transaction.
 */
@Injectable()
export class AllocationStore {
  constructor(
    private readonly stock: StockLedger,
    private readonly catalog: CatalogProjection,
  ) {}

  private readonly suppliers = new Map<string, string>();

  async apply(manager: EntityManager, ops: readonly AllocationOp[]): Promise<AllocationOutcome[]> {
    const outcomes: AllocationOutcome[] = new Array(ops.length);
    const deltas = new Map<string, Required<StockDelta>>();
    const delta = (offerId: string): Required<StockDelta> => {
      let d = deltas.get(offerId);
      if (!d) deltas.set(offerId, (d = { uploaded: 0, available: 0, reserved: 0, sold: 0, voided: 0 }));
      return d;
    };
    const indexed = <T extends AllocationOp>(kind: T['kind']): [number, T][] =>
      ops.flatMap((op, i) => (op.kind === kind ? [[i, op as T] as [number, T]] : []));

    const reserves = indexed<ReserveOp>('reserve');
    if (reserves.length > 0) await this.reserve(manager, reserves, outcomes, delta);
    const commits = indexed<CommitOp>('commit');
    if (commits.length > 0) await this.commit(manager, commits, outcomes, delta);
    const releases = indexed<ReleaseOp>('release');
    if (releases.length > 0) await this.release(manager, releases, outcomes, delta);

    const stockChanges: StockChange[] = [];
    for (const [offerId, d] of deltas) {
      if (d.available !== 0 || d.reserved !== 0 || d.sold !== 0 || d.voided !== 0) stockChanges.push({ offerId, supplierId: await this.supplierOf(manager, offerId), delta: d });
    }
    await this.stock.applyMany(manager, stockChanges);
    return outcomes;
  }

  private async reserve(
    manager: EntityManager,
    ops: [number, ReserveOp][],
    outcomes: AllocationOutcome[],
    delta: (offerId: string) => Required<StockDelta>,
  ): Promise<void> {
    // One statement: a reservation id that already has a row is a replay (nothing written, answered
    // from the row below); for each new one the guard takes its codes, and only an available code
    // of the same offer becomes allocated. The code update only sees the ids this INSERT returned.
    // Code ids travel once, as each reservation's list; what comes back is a count per reservation.
    // A code past its expiry is never taken (it is void or about to be: CodeExpiry).
    const rows = await preparedQuery<{ rid: string; taken: number | null }>(
      manager,
      'vault_allocation_reserve',
      `WITH inserted AS (
         INSERT INTO reservation (id, offer_id, order_id, buyer_id, quantity, code_ids, status, expires_at)
         SELECT r.id, r.offer_id, r.order_id, r.buyer_id, cardinality(string_to_array(r.codes, ',')),
                string_to_array(r.codes, ',')::bigint[], 'held', r.expires_at
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::timestamptz[])
                AS r(id, offer_id, order_id, buyer_id, codes, expires_at)
         ON CONFLICT (id) DO NOTHING
         RETURNING id),
       taken AS (
         UPDATE code c SET status = 'allocated', reservation_id = v.rid
           FROM (SELECT r.id AS rid, r.offer_id, unnest(string_to_array(r.codes, ',')::bigint[]) AS id
                   FROM unnest($1::uuid[], $2::uuid[], $5::text[]) AS r(id, offer_id, codes)
                  WHERE r.id IN (SELECT id FROM inserted)) AS v
          WHERE c.id = v.id AND c.offer_id = v.offer_id AND c.status = 'available' AND (c.expires_at IS NULL OR c.expires_at > now())
          RETURNING v.rid)
       SELECT i.id::text AS rid, coalesce(t.n, 0)::int AS taken
         FROM inserted i LEFT JOIN (SELECT rid, count(*) AS n FROM taken GROUP BY rid) t ON t.rid = i.id`,
      [
        ops.map(([, o]) => o.reservationId),
        ops.map(([, o]) => o.offerId),
        ops.map(([, o]) => o.orderId ?? null),
        ops.map(([, o]) => o.buyerId ?? null),
        ops.map(([, o]) => o.codeIds.join(',')),
        ops.map(([, o]) => o.expiresAt.toISOString()),
      ],
    );
    const fresh = new Map(rows.map((r) => [r.rid, Number(r.taken)]));
    const replays = ops.filter(([, o]) => !fresh.has(o.reservationId));
    if (replays.length > 0) {
      const existing = await this.reservations(manager, replays.map(([, o]) => o.reservationId));
      for (const [i, op] of replays) {
        const row = existing.get(op.reservationId)!;
        outcomes[i] =
          row.status === 'held'
            ? { status: 'reserved', offerId: row.offer_id, codeIds: row.code_ids, expiresAt: row.expires_at, replayed: true }
            : { status: 'ended', offerId: row.offer_id, state: row.status, codeIds: row.code_ids };
      }
    }

    const toTake = ops.filter(([, o]) => fresh.has(o.reservationId));
    if (toTake.length === 0) return;
    const stale: [number, ReserveOp][] = [];
    for (const [i, op] of toTake) {
      if (fresh.get(op.reservationId) === op.codeIds.length) {
        outcomes[i] = { status: 'reserved', offerId: op.offerId, codeIds: op.codeIds, expiresAt: op.expiresAt, replayed: false };
        const d = delta(op.offerId);
        d.available -= op.codeIds.length;
        d.reserved += op.codeIds.length;
      } else {
        stale.push([i, op]);
      }
    }
    if (stale.length > 0) {
      // PostgreSQL refused some codes Redis offered (a stale Redis; rare). All or nothing per
      // reservation: see which codes were taken, give them back, and drop the reservation.
      const staleIds = stale.map(([, op]) => op.reservationId);
      const got: { id: string; rid: string }[] = await manager.query(
        `SELECT id::text AS id, reservation_id::text AS rid FROM code WHERE id = ANY($1::bigint[]) AND reservation_id = ANY($2::uuid[])`,
        [stale.flatMap(([, op]) => op.codeIds), staleIds],
      );
      await manager.query(`UPDATE code SET status = 'available', reservation_id = NULL WHERE id = ANY($1::bigint[]) AND reservation_id = ANY($2::uuid[])`, [
        got.map((g) => g.id),
        staleIds,
      ]);
      await manager.query(`DELETE FROM reservation WHERE id = ANY($1::uuid[])`, [staleIds]);
      for (const [i, op] of stale) {
        const valid = new Set(got.filter((g) => g.rid === op.reservationId).map((g) => g.id));
        outcomes[i] = { status: 'stale', offerId: op.offerId, valid: [...valid], refused: op.codeIds.filter((id) => !valid.has(id)) };
      }
    }
  }

  private async commit(
    manager: EntityManager,
    ops: [number, CommitOp][],
    outcomes: AllocationOutcome[],
    delta: (offerId: string) => Required<StockDelta>,
  ): Promise<void> {
    // The guard: only a held reservation is sold, and only while none of its codes is past its
    // expiry. Its codes stay allocated to it for good.
    // (UPDATE ... RETURNING sits in a CTE: TypeORM answers a bare UPDATE with [rows, count].)
    const committed = await preparedQuery<{ id: string; offer_id: string; code_ids: string[] }>(
      manager,
      'vault_allocation_commit',
      `WITH committed AS (
         UPDATE reservation r SET status = 'committed', committed_at = now()
          WHERE r.id = ANY($1::uuid[]) AND r.status = 'held'
            AND NOT EXISTS (SELECT 1 FROM code c WHERE c.id = ANY(r.code_ids) AND c.expires_at <= now())
          RETURNING r.id::text AS id, r.offer_id::text AS offer_id, r.code_ids::text[] AS code_ids)
       SELECT * FROM committed`,
      [ops.map(([, o]) => o.reservationId)],
    );
    const byId = new Map(committed.map((r) => [r.id, r]));
    const others = ops.filter(([, o]) => !byId.has(o.reservationId));
    const rows = others.length > 0 ? await this.reservations(manager, others.map(([, o]) => o.reservationId)) : new Map<string, ReservationRow>();
    // Still held: a code expired while the order was being paid. The reservation is not sold; it
    // ends as expired here (its expired codes leave stock, the others go back on sale) and the
    // saga reports the line for a refund, as for any reservation that expired before payment.
    const expiredHeld = others.filter(([, o]) => rows.get(o.reservationId)?.status === 'held');
    const ended: AllocationOutcome[] = new Array(ops.length);
    if (expiredHeld.length > 0) {
      await this.release(manager, expiredHeld.map(([i, o]) => [i, { kind: 'release', reservationId: o.reservationId, reason: 'expired' }]), ended, delta);
    }
    for (const [i, op] of ops) {
      const release = ended[i] as ReleaseOutcome | undefined;
      if (release?.status === 'released') {
        outcomes[i] = { status: 'ended', offerId: release.offerId, state: 'expired', released: release };
        continue;
      }
      const done = byId.get(op.reservationId);
      if (done) {
        outcomes[i] = { status: 'committed', offerId: done.offer_id, codeIds: done.code_ids, replayed: false };
        const d = delta(done.offer_id);
        d.reserved -= done.code_ids.length;
        d.sold += done.code_ids.length;
        continue;
      }
      const row = rows.get(op.reservationId);
      if (!row) outcomes[i] = { status: 'unknown' };
      else if (row.status === 'committed') outcomes[i] = { status: 'committed', offerId: row.offer_id, codeIds: row.code_ids, replayed: true };
      else outcomes[i] = { status: 'ended', offerId: row.offer_id, state: row.status as 'released' | 'expired' };
    }
  }

  private async release(
    manager: EntityManager,
    ops: [number, ReleaseOp][],
    outcomes: AllocationOutcome[],
    delta: (offerId: string) => Required<StockDelta>,
  ): Promise<void> {
    // The guard: only a held reservation ends unsold; a committed one keeps its codes. Its codes
    // go back on sale, but for those past their expiry, which leave stock (void, expired).
    const ended = await preparedQuery<{ id: string; offer_id: string; code_ids: string[]; status: string }>(
      manager,
      'vault_allocation_release',
      `WITH ended AS (
         UPDATE reservation r SET status = CASE WHEN v.reason = 'expired' THEN 'expired' ELSE 'released' END,
                ended_at = now(), end_reason = v.reason
           FROM unnest($1::uuid[], $2::text[]) AS v(id, reason)
          WHERE r.id = v.id AND r.status = 'held'
          RETURNING r.id::text AS id, r.offer_id::text AS offer_id, r.code_ids::text[] AS code_ids, r.status)
       SELECT * FROM ended`,
      [ops.map(([, o]) => o.reservationId), ops.map(([, o]) => o.reason)],
    );
    const voidedOf = new Map<string, string[]>();
    if (ended.length > 0) {
      const ids = ended.flatMap((r) => r.code_ids);
      const rids = ended.flatMap((r) => r.code_ids.map(() => r.id));
      const reasons = ended.flatMap((r) => r.code_ids.map(() => r.status));
      const back = await preparedQuery<{ id: string; rid: string; status: 'available' | 'void' }>(
        manager,
        'vault_allocation_release_codes',
        `WITH back AS (
           UPDATE code c SET status = CASE WHEN c.expires_at <= now() THEN 'void' ELSE 'available' END, reservation_id = NULL,
                  voided_at = CASE WHEN c.expires_at <= now() THEN now() END,
                  void_cause = CASE WHEN c.expires_at <= now() THEN 'expired' END
             FROM unnest($1::bigint[], $2::uuid[]) AS v(id, rid)
            WHERE c.id = v.id AND c.status = 'allocated' AND c.reservation_id = v.rid
            RETURNING c.id::text AS id, v.rid::text AS rid, c.status)
         SELECT * FROM back`,
        [ids, rids],
      );
      if (back.length !== ids.length) {
        // A held reservation's codes are allocated to it; anything else means the data is corrupt.
        throw new Error(`released reservations did not hold all their codes (${back.length} of ${ids.length})`);
      }
      for (const row of back.filter((r) => r.status === 'void')) voidedOf.set(row.rid, [...(voidedOf.get(row.rid) ?? []), row.id]);
      await manager.query(
        `INSERT INTO code_release (code_id, reservation_id, reason)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[]) ON CONFLICT DO NOTHING`,
        [ids, rids, reasons],
      );
    }
    const byId = new Map(ended.map((r) => [r.id, r]));
    const others = ops.filter(([, o]) => !byId.has(o.reservationId));
    const rows = others.length > 0 ? await this.reservations(manager, others.map(([, o]) => o.reservationId)) : new Map<string, ReservationRow>();
    for (const [i, op] of ops) {
      const done = byId.get(op.reservationId);
      if (done) {
        const voided = voidedOf.get(done.id) ?? [];
        outcomes[i] = { status: 'released', offerId: done.offer_id, codeIds: done.code_ids, replayed: false, voided };
        const d = delta(done.offer_id);
        d.reserved -= done.code_ids.length;
        d.available += done.code_ids.length - voided.length;
        d.voided += voided.length;
        continue;
      }
      const row = rows.get(op.reservationId);
      if (!row) outcomes[i] = { status: 'unknown' };
      else if (row.status === 'committed') outcomes[i] = { status: 'committed', offerId: row.offer_id };
      else outcomes[i] = { status: 'released', offerId: row.offer_id, codeIds: row.code_ids, replayed: true, voided: [] };
    }
  }

  private async reservations(manager: EntityManager, ids: string[]): Promise<Map<string, ReservationRow>> {
    const rows: ReservationRow[] = await manager.query(
      `SELECT id::text AS id, offer_id::text AS offer_id, status, code_ids::text[] AS code_ids, expires_at FROM reservation WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  private async supplierOf(manager: EntityManager, offerId: string): Promise<string> {
    let supplierId = this.suppliers.get(offerId);
    if (!supplierId) {
      const rows: { supplier_id: string }[] = await manager.query(`SELECT supplier_id FROM offer_stock WHERE offer_id = $1`, [offerId]);
      supplierId = rows[0]?.supplier_id ?? (await this.catalog.offer(offerId, manager))?.supplierId;
      if (!supplierId) throw new Error(`offer ${offerId} has no stock row and is not in the catalog projection`);
      this.suppliers.set(offerId, supplierId);
    }
    return supplierId;
  }
}
