import { randomUUID } from 'node:crypto';
import { ReservationCoreError, type ReservationCore } from '../src';
import { codeIds, newOfferId, redisFixture, type RedisFixture } from './redis-fixture';

const T0 = 1_700_000_000_000;

describe('ReservationCore lifecycle: idempotency, expiry, repair, stock edits', () => {
  let fx: RedisFixture;
  let core: ReservationCore;

  beforeAll(async () => {
    fx = await redisFixture('rsv_lifecycle');
    core = fx.core();
  });
  afterAll(async () => fx.close());

  async function loadOffer(codes: string[]): Promise<string> {
    const offerId = newOfferId();
    await core.rebuild(offerId, async () => ({ available: codes, held: [] }));
    return offerId;
  }

  const available = (offerId: string): Promise<string[]> => fx.redis.lrange(core.keysOf(offerId).available, 0, -1);

  describe('idempotency on the reservation id', () => {
    it('reserve twice gives the same codes once; commit twice is fine; release after commit changes nothing; reserve after release is ended', async () => {
      const offerId = await loadOffer(codeIds(10));
      const a = randomUUID();
      const first = await core.reserve(offerId, a, 3, 60_000, T0);
      expect(first).toEqual({ status: 'reserved', codeIds: ['1', '2', '3'], expiresAtMs: T0 + 60_000, replayed: false });
      // A retry, even later and with another ttl, replays the original hold.
      await expect(core.reserve(offerId, a, 3, 5_000, T0 + 10)).resolves.toEqual({ ...first, replayed: true });
      expect(await core.availableCount(offerId)).toBe(7);

      await expect(core.commit(offerId, a)).resolves.toEqual({ status: 'committed', replayed: false });
      await expect(core.commit(offerId, a)).resolves.toEqual({ status: 'committed', replayed: true });
      expect(await core.heldCount(offerId)).toBe(0);
      await expect(core.release(offerId, a)).resolves.toEqual({ status: 'committed' });
      expect(await available(offerId)).toEqual(codeIds(7, 4));
      await expect(core.reserve(offerId, a, 3, 60_000)).resolves.toEqual({ status: 'ended', state: 'committed' });
      await expect(core.reservation(offerId, a)).resolves.toEqual({ state: 'committed', codeIds: ['1', '2', '3'], expiresAtMs: T0 + 60_000 });

      const b = randomUUID();
      const held = await core.reserve(offerId, b, 2, 60_000);
      expect(held).toMatchObject({ status: 'reserved', codeIds: ['4', '5'] });
      await expect(core.release(offerId, b)).resolves.toEqual({ status: 'released', codeIds: ['4', '5'], replayed: false });
      await expect(core.release(offerId, b)).resolves.toEqual({ status: 'released', codeIds: [], replayed: true });
      await expect(core.reserve(offerId, b, 2, 60_000)).resolves.toEqual({ status: 'ended', state: 'released' });
      await expect(core.commit(offerId, b)).resolves.toEqual({ status: 'ended', state: 'released' });
      // Released codes go back to the head, in order, so they are handed out first.
      expect(await available(offerId)).toEqual(codeIds(7, 4));
      await expect(core.reserve(offerId, randomUUID(), 2, 60_000)).resolves.toMatchObject({ codeIds: ['4', '5'] });
    });

    it('answers unknown for reservations Redis never saw, and insufficient takes nothing', async () => {
      const offerId = await loadOffer(codeIds(5));
      await expect(core.commit(offerId, randomUUID())).resolves.toEqual({ status: 'unknown' });
      await expect(core.release(offerId, randomUUID())).resolves.toEqual({ status: 'unknown' });
      await expect(core.reservation(offerId, randomUUID())).resolves.toBeNull();
      const id = randomUUID();
      await expect(core.reserve(offerId, id, 6, 60_000)).resolves.toEqual({ status: 'insufficient', available: 5 });
      expect(await core.availableCount(offerId)).toBe(5);
      // Nothing was recorded: the same id may try again once stock is there.
      await expect(core.reserve(offerId, id, 5, 60_000)).resolves.toMatchObject({ status: 'reserved', replayed: false });
    });

    it('ended markers expire after endedRetentionMs; held reservations do not', async () => {
      const shortLived = fx.core({ endedRetentionMs: 60_000 });
      const offerId = await loadOffer(codeIds(4));
      const held = randomUUID();
      const committed = randomUUID();
      await shortLived.reserve(offerId, held, 1, 60_000);
      await shortLived.reserve(offerId, committed, 1, 60_000);
      await shortLived.commit(offerId, committed);
      const k = shortLived.keysOf(offerId);
      expect(await fx.redis.pttl(k.reservation(held))).toBe(-1);
      const ttl = await fx.redis.pttl(k.reservation(committed));
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });
  });

  describe('expiry', () => {
    it('expireDue returns abandoned holds to the head of the list and leaves committed ones alone', async () => {
      const offerId = await loadOffer(codeIds(20));
      const abandoned = randomUUID();
      const paid = randomUUID();
      const later = randomUUID();
      await core.reserve(offerId, abandoned, 4, 1_000, T0); // codes 1-4, due at T0+1000
      await core.reserve(offerId, paid, 3, 1_000, T0); // codes 5-7, due too but committed
      await core.reserve(offerId, later, 2, 10_000, T0); // codes 8-9, not due
      await core.commit(offerId, paid);
      expect(await core.heldCount(offerId)).toBe(2);

      await expect(core.expireDue(offerId, T0 + 999)).resolves.toEqual([]);
      await expect(core.expireDue(offerId, T0 + 1_000)).resolves.toEqual([abandoned]);
      expect(await available(offerId)).toEqual([...codeIds(4, 1), ...codeIds(11, 10)]);
      expect(await core.heldCount(offerId)).toBe(1);
      await expect(core.reservation(offerId, abandoned)).resolves.toMatchObject({ state: 'expired', codeIds: [] });
      await expect(core.reservation(offerId, paid)).resolves.toMatchObject({ state: 'committed', codeIds: ['5', '6', '7'] });
      await expect(core.reserve(offerId, abandoned, 4, 1_000)).resolves.toEqual({ status: 'ended', state: 'expired' });
      await expect(core.commit(offerId, abandoned)).resolves.toEqual({ status: 'ended', state: 'expired' });
      await expect(core.release(offerId, abandoned)).resolves.toEqual({ status: 'released', codeIds: [], replayed: true });
      // Running it again finds nothing more to do.
      await expect(core.expireDue(offerId, T0 + 1_000)).resolves.toEqual([]);
      await expect(core.expireDue(offerId, T0 + 10_000)).resolves.toEqual([later]);
      expect(await core.availableCount(offerId)).toBe(17);
    });

    it('expireDue honours its limit, soonest first', async () => {
      const offerId = await loadOffer(codeIds(10));
      const ids = Array.from({ length: 5 }, () => randomUUID());
      for (const [i, id] of ids.entries()) await core.reserve(offerId, id, 1, 1_000 + i, T0);
      await expect(core.expireDue(offerId, T0 + 10_000, 2)).resolves.toEqual(ids.slice(0, 2));
      await expect(core.expireDue(offerId, T0 + 10_000, 10)).resolves.toEqual(ids.slice(2));
      expect(await core.availableCount(offerId)).toBe(10);
    });

    it('the largest reservation (50,000 codes) is taken and given back whole and in order', async () => {
      const all = codeIds(60_000);
      const offerId = await loadOffer(all);
      const big = randomUUID();
      const r = await core.reserve(offerId, big, 50_000, 1_000, T0);
      expect(r).toMatchObject({ status: 'reserved', codeIds: all.slice(0, 50_000) });
      await expect(core.reserve(offerId, big, 50_000, 1_000)).resolves.toMatchObject({ codeIds: all.slice(0, 50_000), replayed: true });
      await expect(core.expireDue(offerId, T0 + 1_000)).resolves.toEqual([big]);
      expect(await available(offerId)).toEqual(all);
      const again = randomUUID();
      await core.reserve(offerId, again, 12_345, 1_000);
      await expect(core.release(offerId, again)).resolves.toMatchObject({ codeIds: all.slice(0, 12_345) });
      expect(await available(offerId)).toEqual(all);
    });

    it("release with reason 'expired' records the expiry", async () => {
      const offerId = await loadOffer(codeIds(3));
      const id = randomUUID();
      await core.reserve(offerId, id, 2, 60_000);
      await expect(core.release(offerId, id, 'expired')).resolves.toEqual({ status: 'released', codeIds: ['1', '2'], replayed: false });
      await expect(core.reserve(offerId, id, 2, 60_000)).resolves.toEqual({ status: 'ended', state: 'expired' });
    });
  });

  describe('repair and stock edits', () => {
    it('repair forgets the reservation, restores the given ids to the head and drops the refused ones', async () => {
      const offerId = await loadOffer(codeIds(10));
      const id = randomUUID();
      await core.reserve(offerId, id, 5, 60_000); // 1-5
      await core.repair(offerId, id, ['2', '4']); // PostgreSQL refused 1, 3 and 5
      await expect(core.reservation(offerId, id)).resolves.toBeNull();
      expect(await core.heldCount(offerId)).toBe(0);
      expect(await available(offerId)).toEqual(['2', '4', ...codeIds(5, 6)]);
      // The id is free again: the caller may retry the reservation.
      await expect(core.reserve(offerId, id, 2, 60_000)).resolves.toMatchObject({ status: 'reserved', codeIds: ['2', '4'], replayed: false });
      // A committed reservation can be repaired too (PostgreSQL refused the commit).
      await core.commit(offerId, id);
      await core.repair(offerId, id, []);
      await expect(core.reservation(offerId, id)).resolves.toBeNull();
      expect(await available(offerId)).toEqual(codeIds(5, 6));
    });

    it('removeAvailable removes voided ids (few or many) and counts entries removed', async () => {
      const offerId = await loadOffer(codeIds(1_000));
      await expect(core.removeAvailable(offerId, ['3', '7', '99999'])).resolves.toBe(2);
      const many = codeIds(100, 500);
      await expect(core.removeAvailable(offerId, [...many, '424242'])).resolves.toBe(100);
      const left = await available(offerId);
      expect(left).toHaveLength(898);
      expect(left.slice(0, 4)).toEqual(['1', '2', '4', '5']);
      expect(left).not.toContain('3');
      expect(left).not.toContain('550');
      // Order is kept by the filtering pass.
      expect(left).toEqual(codeIds(1_000).filter((id) => id !== '3' && id !== '7' && !many.includes(id)));
      await expect(core.removeAvailable(offerId, left)).resolves.toBe(898);
      expect(await core.availableCount(offerId)).toBe(0);
      // Still loaded: an empty offer answers insufficient, not not_loaded.
      await expect(core.reserve(offerId, randomUUID(), 1, 60_000)).resolves.toEqual({ status: 'insufficient', available: 0 });
    });

    it('removeAvailable removes duplicate entries too, in chunks', async () => {
      const small = fx.core({ rebuildChunkSize: 9 });
      const offerId = await loadOffer([...codeIds(30), ...codeIds(10)]);
      await expect(small.removeAvailable(offerId, codeIds(10))).resolves.toBe(20);
      expect(await available(offerId)).toEqual(codeIds(20, 11));
    });

    it('addAvailable appends at the tail when loaded and does nothing when not loaded', async () => {
      const offerId = newOfferId();
      await expect(core.addAvailable(offerId, ['1', '2'])).resolves.toBe(false);
      expect(await fx.redis.exists(core.keysOf(offerId).available)).toBe(0);
      await expect(core.reserve(offerId, randomUUID(), 1, 60_000)).resolves.toEqual({ status: 'not_loaded' });

      await core.rebuild(offerId, async () => ({ available: ['1', '2'], held: [] }));
      const chunked = fx.core({ rebuildChunkSize: 1_000 });
      await expect(chunked.addAvailable(offerId, codeIds(2_500, 3))).resolves.toBe(true);
      expect(await available(offerId)).toEqual(codeIds(2_502));
    });
  });

  describe('misuse', () => {
    it('throws ReservationCoreError for bad arguments without touching Redis', async () => {
      const offerId = await loadOffer(codeIds(3));
      const bad: Array<() => unknown> = [
        () => core.reserve(offerId, randomUUID(), 0, 1_000),
        () => core.reserve(offerId, randomUUID(), 1.5, 1_000),
        () => core.reserve(offerId, randomUUID(), 50_001, 1_000),
        () => core.reserve(offerId, randomUUID(), 1, 0),
        () => core.reserve(offerId, '', 1, 1_000),
        () => core.reserve('a{b}', randomUUID(), 1, 1_000),
        () => core.addAvailable(offerId, ['12a']),
        () => core.repair(offerId, randomUUID(), ['1,2']),
        () => core.expireDue(offerId, T0, 0),
      ];
      for (const call of bad) {
        await expect((async () => call())()).rejects.toBeInstanceOf(ReservationCoreError);
      }
      expect(await core.availableCount(offerId)).toBe(3);
    });
  });
});
