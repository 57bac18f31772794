import { randomUUID } from 'node:crypto';
import type { HeldReservation, OfferSnapshot, ReservationCore, ReserveResult } from '../src';
import { codeIds, newOfferId, redisFixture, type RedisFixture } from './redis-fixture';

/** A promise the test resolves when it chooses: holds a rebuild inside load(). */
function gate<T>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

describe('ReservationCore rebuild from PostgreSQL', () => {
  let fx: RedisFixture;
  let core: ReservationCore;

  beforeAll(async () => {
    fx = await redisFixture('rsv_rebuild');
    core = fx.core();
  });
  afterAll(async () => fx.close());

  it('answers not_loaded before any rebuild and changes nothing', async () => {
    const offerId = newOfferId();
    expect(await core.isLoaded(offerId)).toBe(false);
    await expect(core.reserve(offerId, randomUUID(), 1, 60_000)).resolves.toEqual({ status: 'not_loaded' });
    expect(await fx.keys()).not.toEqual(expect.arrayContaining([expect.stringContaining(`{${offerId}}`)]));
  });

  it('restores 50,000 available codes and the held reservations of a snapshot', async () => {
    const offerId = newOfferId();
    const expiresAtMs = Date.now() + 60_000;
    // 1,200 holds: more than one restore batch.
    const held: HeldReservation[] = Array.from({ length: 1_200 }, (_, i) => ({
      reservationId: randomUUID(),
      codeIds: codeIds(4, 10_000_000 + i * 4),
      expiresAtMs: expiresAtMs + i,
    }));
    const available = codeIds(50_000, 1_000_000);
    await expect(core.rebuild(offerId, async () => ({ available, held }))).resolves.toBe(true);

    expect(await core.isLoaded(offerId)).toBe(true);
    expect(await core.availableCount(offerId)).toBe(50_000);
    expect(await fx.redis.lrange(core.keysOf(offerId).available, 0, -1)).toEqual(available);
    expect(await core.heldCount(offerId)).toBe(1_200);
    // A retried reserve of a restored hold replays it; commit and expiry work on it.
    await expect(core.reserve(offerId, held[0].reservationId, 4, 1_000)).resolves.toEqual({
      status: 'reserved',
      codeIds: held[0].codeIds,
      expiresAtMs: held[0].expiresAtMs,
      replayed: true,
    });
    await expect(core.commit(offerId, held[1].reservationId)).resolves.toEqual({ status: 'committed', replayed: false });
    await expect(core.expireDue(offerId, expiresAtMs + 2)).resolves.toEqual([held[0].reservationId, held[2].reservationId]);
    const head = await fx.redis.lrange(core.keysOf(offerId).available, 0, 7);
    expect(head.sort()).toEqual([...held[0].codeIds, ...held[2].codeIds].sort());
    // The rebuild leaves no temporary list, lock or during list behind.
    const k = core.keysOf(offerId);
    expect(await fx.redis.exists(k.lock, k.during)).toBe(0);
    expect((await fx.keys()).filter((key) => key.includes(':tmp:'))).toEqual([]);
    expect(await fx.redis.pttl(k.available)).toBe(-1);
  });

  it('never overwrites a reservation Redis already knows (committed after the snapshot was read)', async () => {
    const offerId = newOfferId();
    await core.rebuild(offerId, async () => ({ available: codeIds(10), held: [] }));
    const id = randomUUID();
    const r = await core.reserve(offerId, id, 2, 60_000);
    expect(r).toMatchObject({ status: 'reserved', codeIds: ['1', '2'] });

    const rebuilt = await core.rebuild(
      offerId,
      async () => {
        const snapshot: OfferSnapshot = { available: codeIds(8, 3), held: [{ reservationId: id, codeIds: ['1', '2'], expiresAtMs: Date.now() + 60_000 }] };
        // The order is paid while the snapshot travels back from PostgreSQL.
        await expect(core.commit(offerId, id)).resolves.toEqual({ status: 'committed', replayed: false });
        return snapshot;
      },
      { force: true },
    );
    expect(rebuilt).toBe(true);
    await expect(core.reservation(offerId, id)).resolves.toMatchObject({ state: 'committed', codeIds: ['1', '2'] });
    expect(await core.heldCount(offerId)).toBe(0);
    expect(await core.availableCount(offerId)).toBe(8);
  });

  it('keeps codes released while the rebuild ran, and codes added meanwhile', async () => {
    const offerId = newOfferId();
    await core.rebuild(offerId, async () => ({ available: codeIds(10), held: [] }));
    const id = randomUUID();
    await core.reserve(offerId, id, 3, 60_000); // 1-3
    const loading = gate<OfferSnapshot>();
    const entered = gate<void>();
    const rebuilding = core.rebuild(
      offerId,
      () => {
        entered.open();
        return loading.promise;
      },
      { force: true },
    );
    await entered.promise;
    // While the rebuild runs the offer answers not_loaded...
    await expect(core.reserve(offerId, randomUUID(), 1, 60_000)).resolves.toEqual({ status: 'not_loaded' });
    // ...but a held reservation still replays, and releasing it works.
    await expect(core.reserve(offerId, id, 3, 60_000)).resolves.toMatchObject({ replayed: true, codeIds: ['1', '2', '3'] });
    await expect(core.release(offerId, id)).resolves.toMatchObject({ status: 'released', codeIds: ['1', '2', '3'] });
    await expect(core.addAvailable(offerId, ['11', '12'])).resolves.toBe(true);
    // The snapshot was read before the release and the upload reached PostgreSQL.
    loading.open({ available: codeIds(7, 4), held: [{ reservationId: id, codeIds: ['1', '2', '3'], expiresAtMs: Date.now() + 60_000 }] });
    await expect(rebuilding).resolves.toBe(true);
    await expect(core.reservation(offerId, id)).resolves.toMatchObject({ state: 'released' });
    const list = await fx.redis.lrange(core.keysOf(offerId).available, 0, -1);
    expect([...list].sort((a, b) => Number(a) - Number(b))).toEqual(codeIds(12));
    expect(await core.heldCount(offerId)).toBe(0);
  });

  it('rebuilds after a flush in the middle of reservations without handing out a held code again', async () => {
    const offerId = newOfferId();
    const all = codeIds(1_000, 5_000);
    await core.rebuild(offerId, async () => ({ available: all, held: [] }));
    const other = fx.core({}, fx.connect());
    const attempts = Array.from({ length: 60 }, (_, i) => ({ id: randomUUID(), qty: 1 + (i % 10) }));
    // Reserves on two connections race a FLUSHALL-equivalent of this offer's keys.
    const results = await Promise.all([
      ...attempts.slice(0, 30).map((a) => core.reserve(offerId, a.id, a.qty, 60_000)),
      fx.flush().then(() => null),
      ...attempts.slice(30).map((a) => other.reserve(offerId, a.id, a.qty, 60_000)),
    ]);
    const answers = results.filter((r): r is ReserveResult => r !== null);
    expect(answers.every((r) => r.status === 'reserved' || r.status === 'not_loaded')).toBe(true);
    await expect(core.reserve(offerId, randomUUID(), 1, 60_000)).resolves.toEqual({ status: 'not_loaded' });

    // PostgreSQL recorded every reservation that succeeded: the snapshot is its view.
    const held: HeldReservation[] = [];
    attempts.forEach((a, i) => {
      const r = answers[i];
      if (r.status === 'reserved') held.push({ reservationId: a.id, codeIds: r.codeIds, expiresAtMs: r.expiresAtMs });
    });
    const heldCodes = new Set(held.flatMap((h) => h.codeIds));
    const snapshot: OfferSnapshot = { available: all.filter((id) => !heldCodes.has(id)), held };
    await expect(core.rebuild(offerId, async () => snapshot)).resolves.toBe(true);

    for (const h of held) {
      await expect(core.reserve(offerId, h.reservationId, h.codeIds.length, 60_000)).resolves.toMatchObject({ codeIds: h.codeIds, replayed: true });
    }
    const fresh = await core.reserve(offerId, randomUUID(), all.length - heldCodes.size, 60_000);
    expect(fresh.status).toBe('reserved');
    if (fresh.status === 'reserved') expect(fresh.codeIds.filter((id) => heldCodes.has(id))).toEqual([]);
    expect(await core.availableCount(offerId)).toBe(0);
  });

  it('a flush during a rebuild makes it answer false; the next rebuild loads the offer', async () => {
    const offerId = newOfferId();
    const entered = gate<void>();
    const loading = gate<OfferSnapshot>();
    const rebuilding = core.rebuild(offerId, () => {
      entered.open();
      return loading.promise;
    });
    await entered.promise;
    await fx.flush();
    loading.open({ available: codeIds(5), held: [{ reservationId: randomUUID(), codeIds: ['9'], expiresAtMs: Date.now() + 1_000 }] });
    await expect(rebuilding).resolves.toBe(false);
    expect(await core.isLoaded(offerId)).toBe(false);
    // Nothing of the stale rebuild was written.
    expect((await fx.keys()).filter((key) => key.includes(`{${offerId}}`))).toEqual([]);

    await expect(core.rebuild(offerId, async () => ({ available: codeIds(5), held: [] }))).resolves.toBe(true);
    expect(await core.availableCount(offerId)).toBe(5);
  });

  it('concurrent rebuild calls share one load, in this process and across processes', async () => {
    const offerId = newOfferId();
    const elsewhere = fx.core({}, fx.connect());
    const loading = gate<OfferSnapshot>();
    const entered = gate<void>();
    let loads = 0;
    const load = (): Promise<OfferSnapshot> => {
      loads += 1;
      entered.open();
      return loading.promise;
    };
    const first = core.rebuild(offerId, load);
    const second = core.rebuild(offerId, load);
    expect(second).toBe(first);
    await entered.promise;
    let otherLoads = 0;
    const remote = elsewhere.rebuild(offerId, async () => {
      otherLoads += 1;
      return { available: [], held: [] };
    });
    loading.open({ available: codeIds(3), held: [] });
    await expect(Promise.all([first, second, remote])).resolves.toEqual([true, true, true]);
    expect(loads).toBe(1);
    expect(otherLoads).toBe(0);
    expect(await core.availableCount(offerId)).toBe(3);

    // Once loaded, a rebuild is a no-op unless forced.
    await expect(core.rebuild(offerId, load)).resolves.toBe(true);
    expect(loads).toBe(1);
    await expect(core.rebuild(offerId, async () => ({ available: codeIds(4, 10), held: [] }), { force: true })).resolves.toBe(true);
    expect(await fx.redis.lrange(core.keysOf(offerId).available, 0, -1)).toEqual(codeIds(4, 10));
  });

  it('a failing load rejects, gives the lock back and leaves the offer not loaded', async () => {
    const offerId = newOfferId();
    await expect(core.rebuild(offerId, async () => Promise.reject(new Error('postgres down')))).rejects.toThrow('postgres down');
    expect(await core.isLoaded(offerId)).toBe(false);
    expect(await fx.redis.exists(core.keysOf(offerId).lock)).toBe(0);
    await expect(core.rebuild(offerId, async () => ({ available: ['1'], held: [] }))).resolves.toBe(true);
  });

  it('a waiting process takes over when the lock holder dies (its lock expires)', async () => {
    const offerId = newOfferId();
    const k = core.keysOf(offerId);
    // A crashed rebuilder: lock taken, never finished.
    await fx.redis.set(k.lock, 'dead-process', 'PX', 300);
    const fast = fx.core({ rebuildLockMs: 5_000 });
    await expect(fast.rebuild(offerId, async () => ({ available: codeIds(2), held: [] }))).resolves.toBe(true);
    expect(await fast.availableCount(offerId)).toBe(2);
  });

  it('a process that dies in the middle of a rebuild leaves the offer unsellable for seconds, not minutes (default lock)', async () => {
    const offerId = newOfferId();
    // A vault takes the lock and dies inside load(): its connection goes, so the lock is never extended again.
    const dyingConnection = fx.connect();
    const dying = fx.core({}, dyingConnection);
    const stuck = gate<OfferSnapshot>();
    void dying.rebuild(offerId, () => stuck.promise).catch(() => undefined);
    await waitFor(async () => (await fx.redis.exists(core.keysOf(offerId).lock)) === 1);
    dyingConnection.disconnect();
    expect(await core.reserve(offerId, randomUUID(), 1, 60_000)).toEqual({ status: 'not_loaded' });

    // The restarted vault, with the default lock: it loads the offer once the dead lock lapses.
    const restarted = fx.core({}, fx.connect());
    const loaded = await Promise.race([
      restarted.rebuild(offerId, async () => ({ available: codeIds(3), held: [] })),
      new Promise<'still blocked'>((resolve) => setTimeout(() => resolve('still blocked'), 30_000).unref()),
    ]);
    expect(loaded).toBe(true);
    expect((await restarted.reserve(offerId, randomUUID(), 1, 60_000)).status).toBe('reserved');
  }, 60_000);
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10));
}

