import { randomUUID } from 'node:crypto';
import type { Identity } from '@kami/platform';
import { findBatch, toBatchDto } from '../src/batches/batch-store';
import { CodeHistoryService } from '../src/codes/code-history.service';
import type { ReservationResult } from '../src/allocation/allocator';
import { createAllocationRig, type AllocationRig } from './support/allocation-rig';

/*
 * Codes carry the supplier's expiry. The allocator never sells a code past it (PostgreSQL's
 * guard refuses it at reservation and at sale), and codes that expire in stock leave it: void,
 * for the reason `expired`, which the supplier sees on the batch and in the code's history.
 * uploaded = available + reserved + sold + void holds throughout.
 */

const reserved = (r: ReservationResult): string[] => (r.status === 'reserved' ? r.codeIds : []);

describe('codes that expire in stock', () => {
  let rig: AllocationRig;

  beforeAll(async () => {
    rig = await createAllocationRig('code_expiry');
  });

  afterAll(async () => {
    await rig?.dispose();
  });

  /** Gives codes an expiry (as uploaded), `offsetMs` from now. */
  async function expire(codeIds: string[], offsetMs: number): Promise<void> {
    await rig.dataSource.query(`UPDATE code SET expires_at = now() + make_interval(secs => $2::float8 / 1000) WHERE id = ANY($1::bigint[])`, [codeIds, offsetMs]);
  }

  async function codeIdsOf(offerId: string): Promise<string[]> {
    const rows: { id: string }[] = await rig.dataSource.query(`SELECT id::text FROM code WHERE offer_id = $1 ORDER BY id`, [offerId]);
    return rows.map((r) => r.id);
  }

  async function expectBalanced(offerId: string): Promise<void> {
    const counts = await rig.counts(offerId);
    expect(counts.uploaded).toBe(counts.available + counts.reserved + counts.sold + counts.void);
    expect(await rig.counters(offerId)).toEqual(counts);
    expect(await rig.core.availableCount(offerId)).toBe(counts.available);
  }

  it('never reserves a code past its expiry, even when Redis offers it first', async () => {
    const offerId = await rig.seedOffer(10);
    const ids = await codeIdsOf(offerId);
    const expired = ids.slice(0, 4);
    await expire(expired, -60_000);
    await expire(ids.slice(4), 3_600_000);
    // Redis loads the soonest expiry first: the expired codes sit at the head of its list.
    const result = await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 6 });
    expect(result.status).toBe('reserved');
    expect(reserved(result).filter((id) => expired.includes(id))).toEqual([]);
    expect(await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 1 })).toEqual({ status: 'insufficient', available: 0 });
    // The expired codes left stock for their reason (swept at once for the offer that offered them).
    const rows: { status: string; void_cause: string | null }[] = await rig.dataSource.query(`SELECT status, void_cause FROM code WHERE id = ANY($1::bigint[])`, [expired]);
    expect(rows).toEqual(expired.map(() => ({ status: 'void', void_cause: 'expired' })));
    expect(await rig.counts(offerId)).toEqual({ uploaded: 10, available: 0, reserved: 6, sold: 0, void: 4 });
    await expectBalanced(offerId);
  });

  it('sweeps codes that expired in stock out of it, in PostgreSQL and Redis, and the supplier sees why', async () => {
    const offerId = await rig.seedOffer(8);
    const ids = await codeIdsOf(offerId);
    expect(await rig.core.isLoaded(offerId)).toBe(false);
    await rig.cache.rebuild(offerId);
    await expire(ids.slice(0, 3), 3_600_000);
    const sold = reserved(await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 2 }));
    await rig.allocator.commit((await rig.dataSource.query(`SELECT reservation_id::text AS id FROM code WHERE id = $1`, [sold[0]]))[0].id);
    // Time passes: two codes in stock and the two sold ones are past their expiry.
    await expire([...sold, ...ids.slice(2, 4)], -1_000);

    expect(await rig.codeExpiry.sweep()).toBe(2);
    expect(await rig.codeExpiry.sweep()).toBe(0);
    expect(await rig.counts(offerId)).toEqual({ uploaded: 8, available: 4, reserved: 0, sold: 2, void: 2 });
    await expectBalanced(offerId);

    const voided = ids.slice(2, 4).filter((id) => !sold.includes(id));
    expect(voided).toHaveLength(2);
    const [{ supplier_id: supplierId, batch_id: batchId }] = await rig.dataSource.query(
      `SELECT o.supplier_id::text, c.batch_id::text FROM code c JOIN vault_offer o ON o.offer_id = c.offer_id WHERE c.id = $1`,
      [voided[0]],
    );
    const supplier = { organisationType: 'supplier', organisationId: supplierId } as Identity;
    const history = await new CodeHistoryService(rig.dataSource).history(supplier, voided[0]!);
    expect(history).toMatchObject({ status: 'void', events: [{ type: 'uploaded' }, { type: 'voided', reason: 'expired' }] });
    const batch = await toBatchDto(rig.dataSource.manager, (await findBatch(rig.dataSource.manager, batchId))!);
    expect(batch.codes).toEqual({ available: 4, reserved: 0, sold: 2, void: 2, expired: 2 });
  });

  it('does not sell a held reservation whose code expired before payment, and its expired code leaves stock', async () => {
    const offerId = await rig.seedOffer(5);
    const reservationId = randomUUID();
    const taken = reserved(await rig.allocator.reserve({ reservationId, offerId, quantity: 2 }));
    expect(taken).toHaveLength(2);
    await expire([taken[0]!], -1_000);

    expect(await rig.allocator.commit(reservationId)).toMatchObject({ status: 'ended', offerId, state: 'expired' });
    expect(await rig.allocator.commit(reservationId)).toMatchObject({ status: 'ended', offerId, state: 'expired' });
    const rows: { id: string; status: string; void_cause: string | null }[] = await rig.dataSource.query(
      `SELECT id::text, status, void_cause FROM code WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [taken],
    );
    expect(rows.find((r) => r.id === taken[0])).toMatchObject({ status: 'void', void_cause: 'expired' });
    expect(rows.find((r) => r.id === taken[1])).toMatchObject({ status: 'available', void_cause: null });
    expect(await rig.counts(offerId)).toEqual({ uploaded: 5, available: 4, reserved: 0, sold: 0, void: 1 });
    await expectBalanced(offerId);
  });

  it('does not put a code that expired while held back on sale when its reservation is released', async () => {
    const offerId = await rig.seedOffer(3);
    const reservationId = randomUUID();
    const taken = reserved(await rig.allocator.reserve({ reservationId, offerId, quantity: 3 }));
    await expire([taken[1]!], -1_000);
    expect(await rig.allocator.release(reservationId, 'cancelled')).toMatchObject({ status: 'released', replayed: false });
    expect(await rig.counts(offerId)).toEqual({ uploaded: 3, available: 2, reserved: 0, sold: 0, void: 1 });
    await expectBalanced(offerId);
    const next = reserved(await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 2 }));
    expect(next).not.toContain(taken[1]);
  });
});
