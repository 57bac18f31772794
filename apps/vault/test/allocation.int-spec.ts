import { randomUUID } from 'node:crypto';
import { createAllocationRig, type AllocationRig } from './support/allocation-rig';
import type { ReservationResult } from '../src/allocation/allocator';

/** A small deterministic generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const reserved = (r: ReservationResult): string[] => (r.status === 'reserved' ? r.codeIds : []);

describe('allocation through Redis and PostgreSQL', () => {
  let rig: AllocationRig;

  beforeAll(async () => {
    rig = await createAllocationRig('alloc');
  });

  afterAll(async () => {
    await rig?.dispose();
  });

  it('serves 200 concurrent reservations of 1-50 codes from 5,000 without giving any code twice, each all or nothing', async () => {
    const offerId = await rig.seedOffer(5000);
    const random = seeded(42);
    const requests = Array.from({ length: 200 }, () => ({ reservationId: randomUUID(), offerId, quantity: 1 + Math.floor(random() * 50) }));
    const demand = requests.reduce((n, r) => n + r.quantity, 0);

    const results = await Promise.all(requests.map((r) => rig.allocator.reserve(r)));

    const all = results.flatMap(reserved);
    expect(new Set(all).size).toBe(all.length);
    results.forEach((result, i) => {
      if (result.status === 'reserved') expect(result.codeIds).toHaveLength(requests[i]!.quantity);
      else expect(result.status).toBe('insufficient');
    });
    const left = 5000 - all.length;
    if (demand <= 5000) {
      expect(all.length).toBe(demand);
    } else {
      // All or nothing: what is left is too little for every request that was refused.
      const refused = requests.filter((_, i) => results[i]!.status === 'insufficient').map((r) => r.quantity);
      expect(refused.length).toBeGreaterThan(0);
      expect(left).toBeLessThan(Math.min(...refused));
    }
    // PostgreSQL agrees, code by code and in the counters.
    const rows: { id: string; reservation_id: string }[] = await rig.dataSource.query(
      `SELECT id::text, reservation_id::text FROM code WHERE offer_id = $1 AND status = 'allocated'`,
      [offerId],
    );
    expect(rows).toHaveLength(all.length);
    const owner = new Map(rows.map((r) => [r.id, r.reservation_id]));
    results.forEach((result, i) => reserved(result).forEach((id) => expect(owner.get(id)).toBe(requests[i]!.reservationId)));
    expect(await rig.counts(offerId)).toEqual({ uploaded: 5000, available: left, reserved: all.length, sold: 0, void: 0 });
    expect(await rig.counters(offerId)).toEqual(await rig.counts(offerId));
    expect(await rig.core.availableCount(offerId)).toBe(left);
  });

  it('is idempotent on the reservation id: same codes again, commit twice, release after commit changes nothing', async () => {
    const offerId = await rig.seedOffer(100);
    const reservationId = randomUUID();
    const first = await rig.allocator.reserve({ reservationId, offerId, quantity: 7 });
    const again = await rig.allocator.reserve({ reservationId, offerId, quantity: 7 });
    expect(first.status).toBe('reserved');
    expect(reserved(again)).toEqual(reserved(first));
    expect(again).toMatchObject({ status: 'reserved', replayed: true });
    expect(await rig.counts(offerId)).toMatchObject({ available: 93, reserved: 7 });

    expect(await rig.allocator.commit(reservationId)).toMatchObject({ status: 'committed', replayed: false, codeIds: reserved(first) });
    expect(await rig.allocator.commit(reservationId)).toMatchObject({ status: 'committed', replayed: true, codeIds: reserved(first) });
    expect(await rig.allocator.release(reservationId, 'cancelled')).toEqual({ status: 'committed', offerId });
    // A reserve with a sold reservation's id takes nothing new.
    expect(await rig.allocator.reserve({ reservationId, offerId, quantity: 7 })).toEqual({ status: 'ended', state: 'committed', codeIds: reserved(first) });

    expect(await rig.counts(offerId)).toEqual({ uploaded: 100, available: 93, reserved: 0, sold: 7, void: 0 });
    expect(await rig.counters(offerId)).toEqual(await rig.counts(offerId));
    expect(await rig.core.availableCount(offerId)).toBe(93);
  });

  it('returns the codes of a released reservation to available, and a second release changes nothing', async () => {
    const offerId = await rig.seedOffer(10);
    const reservationId = randomUUID();
    const taken = reserved(await rig.allocator.reserve({ reservationId, offerId, quantity: 4 }));
    expect(await rig.allocator.release(reservationId, 'cancelled')).toMatchObject({ status: 'released', replayed: false, codeIds: taken });
    expect(await rig.allocator.release(reservationId, 'cancelled')).toMatchObject({ status: 'released', replayed: true });
    expect(await rig.allocator.commit(reservationId)).toEqual({ status: 'ended', offerId, state: 'released' });
    expect(await rig.counts(offerId)).toEqual({ uploaded: 10, available: 10, reserved: 0, sold: 0, void: 0 });
    expect(await rig.core.availableCount(offerId)).toBe(10);
    // The released codes are handed out again (first, as they went back to the head).
    const next = reserved(await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 4 }));
    expect(next.sort()).toEqual([...taken].sort());
  });

  it('refuses to sell a code twice when Redis is corrupted to list a sold code as available, and repairs itself', async () => {
    const offerId = await rig.seedOffer(20);
    const sold = reserved(await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 3 }));
    const soldReservation = (await rig.dataSource.query(`SELECT reservation_id::text AS id FROM code WHERE id = $1`, [sold[0]]))[0].id;
    await rig.allocator.commit(soldReservation);

    // Corrupt Redis on purpose: put the sold codes back at the head of the available list.
    const keys = rig.core.keysOf(offerId);
    await rig.redis.lpush(keys.available, ...sold);

    const next = await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 5 });
    expect(next.status).toBe('reserved');
    expect(reserved(next).some((id) => sold.includes(id))).toBe(false);
    // The sold codes still belong to their buyer's reservation, and Redis no longer lists them.
    const owners: { reservation_id: string }[] = await rig.dataSource.query(`SELECT reservation_id::text FROM code WHERE id = ANY($1::bigint[])`, [sold]);
    expect(owners.map((o) => o.reservation_id)).toEqual([soldReservation, soldReservation, soldReservation]);
    const listed = await rig.redis.lrange(keys.available, 0, -1);
    expect(listed.some((id) => sold.includes(id))).toBe(false);
    expect(await rig.counts(offerId)).toEqual({ uploaded: 20, available: 12, reserved: 5, sold: 3, void: 0 });
    expect(await rig.counters(offerId)).toEqual(await rig.counts(offerId));
    expect(await rig.core.availableCount(offerId)).toBe(12);
  });

  it('loads an offer Redis does not hold from PostgreSQL before its first reservation', async () => {
    const offerId = await rig.seedOffer(30);
    expect(await rig.core.isLoaded(offerId)).toBe(false);
    const result = await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 30 });
    expect(reserved(result)).toHaveLength(30);
    expect(await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 1 })).toEqual({ status: 'insufficient', available: 0 });
  });

  it('expires abandoned reservations: their codes are available again in PostgreSQL and Redis, sold ones stay sold', async () => {
    const offerId = await rig.seedOffer(50);
    const abandoned = await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 10, ttlMs: 60_000 });
    const paid = await rig.allocator.reserve({ reservationId: randomUUID(), offerId, quantity: 5, ttlMs: 60_000 });
    const paidId = (await rig.dataSource.query(`SELECT reservation_id::text AS id FROM code WHERE id = $1`, [reserved(paid)[0]]))[0].id;
    await rig.allocator.commit(paidId);
    expect(await rig.counts(offerId)).toMatchObject({ available: 35, reserved: 10, sold: 5 });

    // Nothing is due yet; a minute later the abandoned one is.
    expect(await rig.expiry.sweep(new Date())).toBe(0);
    expect(await rig.expiry.sweep(new Date(Date.now() + 61_000))).toBe(1);

    expect(await rig.counts(offerId)).toEqual({ uploaded: 50, available: 45, reserved: 0, sold: 5, void: 0 });
    expect(await rig.counters(offerId)).toEqual(await rig.counts(offerId));
    expect(await rig.core.availableCount(offerId)).toBe(45);
    const [row] = await rig.dataSource.query(`SELECT status FROM reservation WHERE id = (SELECT reservation_id FROM code_release WHERE code_id = $1)`, [reserved(abandoned)[0]]);
    expect(row.status).toBe('expired');
  });

  it('expires an order as a whole and tells the saga once', async () => {
    const offerA = await rig.seedOffer(20);
    const offerB = await rig.seedOffer(20);
    const orderId = randomUUID();
    const lines = [
      { lineId: randomUUID(), offerId: offerA, quantity: 3 },
      { lineId: randomUUID(), offerId: offerB, quantity: 4 },
    ];
    await rig.dataSource.transaction((manager) => rig.orders.reserve(manager, { orderId, buyerId: randomUUID(), lines }));
    expect(await rig.counts(offerA)).toMatchObject({ reserved: 3 });
    expect(await rig.counts(offerB)).toMatchObject({ reserved: 4 });

    await rig.expiry.sweep(new Date(Date.now() + 901_000));

    expect(await rig.counts(offerA)).toMatchObject({ available: 20, reserved: 0 });
    expect(await rig.counts(offerB)).toMatchObject({ available: 20, reserved: 0 });
    const events: { event_type: string; envelope: { payload: { reason: string } } }[] = await rig.dataSource.query(
      `SELECT event_type, envelope FROM platform_outbox WHERE message_key = $1 ORDER BY created_at`,
      [orderId],
    );
    expect(events.map((e) => e.event_type)).toEqual(['vault.allocation.reserved', 'vault.allocation.released']);
    expect(events[1]!.envelope.payload.reason).toBe('expired');
    // A second sweep finds nothing more to do for it.
    expect(await rig.expiry.sweep(new Date(Date.now() + 901_000))).toBe(0);
  });

  it('publishes each offer\'s counts as one coalesced event, and a low-stock alert once per crossing', async () => {
    const offerId = await rig.seedOffer(10, 5);
    const events = async (type: string): Promise<{ payload: Record<string, number> }[]> =>
      (await rig.dataSource.query(`SELECT envelope FROM platform_outbox WHERE message_key = $1 AND event_type = $2 ORDER BY created_at, event_id`, [offerId, type])).map(
        (r: { envelope: { payload: Record<string, number> } }) => r.envelope,
      );
    await rig.publisher.publish();
    const take = async (quantity: number): Promise<string> => {
      const reservationId = randomUUID();
      await rig.allocator.reserve({ reservationId, offerId, quantity });
      return reservationId;
    };
    // Three changes between two publications make one event with the latest counts.
    await take(2);
    await take(2);
    const third = await take(2);
    await rig.publisher.publish();
    const changed = await events('vault.stock.changed');
    expect(changed).toHaveLength(2);
    expect(changed[1]!.payload).toMatchObject({ offerId, available: 4, reserved: 6, sold: 0, voided: 0 });
    expect(changed[1]!.payload.sequence).toBeGreaterThan(changed[0]!.payload.sequence!);
    expect(await events('vault.stock.low')).toEqual([expect.objectContaining({ payload: expect.objectContaining({ available: 4, threshold: 5 }) })]);

    // Still low after another sale: no second alert. Back above the threshold re-arms it.
    const fourth = await take(1);
    await rig.publisher.publish();
    expect(await events('vault.stock.low')).toHaveLength(1);
    await rig.allocator.release(third, 'cancelled');
    await rig.allocator.release(fourth, 'cancelled');
    await rig.publisher.publish();
    expect(await events('vault.stock.low')).toHaveLength(1);
    await take(3);
    await rig.publisher.publish();
    expect((await events('vault.stock.low')).map((e) => e.payload.available)).toEqual([4, 3]);
    // Nothing changed, nothing published.
    expect(await rig.publisher.publish()).toBe(0);
  });

  it('makes every code of a completed batch available in Redis exactly once, across publishing pages', async () => {
    const offerId = await rig.seedOffer(10);
    await rig.cache.rebuild(offerId);
    // More codes than one page of publishBatch (50,000), so the paging itself is exercised.
    const batchId = await rig.seedBatch(offerId, 120_001);
    await rig.cache.publishBatch(offerId, batchId);
    const listed = await rig.redis.lrange(rig.core.keysOf(offerId).available, 0, -1);
    expect(listed).toHaveLength(120_011);
    expect(new Set(listed).size).toBe(120_011);
    const [max] = await rig.dataSource.query(`SELECT max(id)::text AS id FROM code WHERE batch_id = $1`, [batchId]);
    expect(listed).toContain(max.id);
  });
});
