import { randomUUID } from 'node:crypto';
import type { ReservationCore, ReserveResult } from '../src';
import { codeIds, newOfferId, redisFixture, type RedisFixture } from './redis-fixture';

const randomQuantity = (): number => 1 + Math.floor(Math.random() * 50);

describe('ReservationCore under concurrent reserves', () => {
  let fx: RedisFixture;
  let cores: ReservationCore[];

  beforeAll(async () => {
    fx = await redisFixture('rsv_concurrency');
    // Four connections: the reserves interleave in Redis as they would from several vault instances.
    cores = [fx.core(), fx.core({}, fx.connect()), fx.core({}, fx.connect()), fx.core({}, fx.connect())];
  });
  afterAll(async () => fx.close());

  async function loadOffer(total: number): Promise<{ offerId: string; all: string[] }> {
    const offerId = newOfferId();
    const all = codeIds(total, 1_000_000);
    await expect(cores[0].rebuild(offerId, async () => ({ available: all, held: [] }))).resolves.toBe(true);
    return { offerId, all };
  }

  async function reserveMany(offerId: string, quantities: number[]): Promise<ReserveResult[]> {
    return Promise.all(quantities.map((q, i) => cores[i % cores.length].reserve(offerId, randomUUID(), q, 60_000)));
  }

  it('200 reserves of 1-50 against 5,000 codes: no code twice, all or nothing, nothing lost', async () => {
    const { offerId, all } = await loadOffer(5_000);
    const quantities = Array.from({ length: 200 }, randomQuantity);
    const results = await reserveMany(offerId, quantities);

    const taken = new Set<string>();
    let reserved = 0;
    const failedQuantities: number[] = [];
    results.forEach((r, i) => {
      if (r.status === 'reserved') {
        expect(r.codeIds).toHaveLength(quantities[i]);
        for (const id of r.codeIds) {
          expect(taken.has(id)).toBe(false);
          taken.add(id);
        }
        reserved += r.codeIds.length;
      } else {
        expect(r.status).toBe('insufficient');
        if (r.status === 'insufficient') expect(r.available).toBeLessThan(quantities[i]);
        failedQuantities.push(quantities[i]);
      }
    });

    const available = await cores[0].availableCount(offerId);
    expect(available + reserved).toBe(5_000);
    const demand = quantities.reduce((a, b) => a + b, 0);
    if (demand <= 5_000) {
      expect(reserved).toBe(demand);
    } else {
      // All or nothing: a reservation fails only when fewer than its quantity are left, so
      // whatever is left is smaller than every failed quantity (and than 50).
      expect(failedQuantities.length).toBeGreaterThan(0);
      expect(available).toBeLessThan(Math.min(...failedQuantities));
    }
    // What is left plus what was taken is exactly the loaded stock, each code once.
    const left = await fx.redis.lrange(cores[0].keysOf(offerId).available, 0, -1);
    expect(new Set([...left, ...taken]).size).toBe(5_000);
    expect([...left, ...taken].sort()).toEqual([...all].sort());
    expect(await cores[0].heldCount(offerId)).toBe(results.filter((r) => r.status === 'reserved').length);
  });

  it('when demand fits the stock every reserve gets exactly its quantity', async () => {
    const { offerId } = await loadOffer(10_000);
    const quantities = Array.from({ length: 200 }, randomQuantity); // at most 200 × 50 = 10,000
    const results = await reserveMany(offerId, quantities);
    const taken = new Set<string>();
    results.forEach((r, i) => {
      expect(r.status).toBe('reserved');
      if (r.status === 'reserved') {
        expect(r.codeIds).toHaveLength(quantities[i]);
        r.codeIds.forEach((id) => taken.add(id));
      }
    });
    const demand = quantities.reduce((a, b) => a + b, 0);
    expect(taken.size).toBe(demand);
    expect(await cores[0].availableCount(offerId)).toBe(10_000 - demand);
  });

  it('the same reservation id sent concurrently takes codes once and every call gets the same codes', async () => {
    const { offerId } = await loadOffer(100);
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => cores[i % cores.length].reserve(offerId, id, 7, 60_000)));
    const fresh = results.filter((r) => r.status === 'reserved' && !r.replayed);
    expect(fresh).toHaveLength(1);
    const first = results[0];
    expect(first.status).toBe('reserved');
    for (const r of results) expect(r).toMatchObject({ status: 'reserved', codeIds: (first as { codeIds: string[] }).codeIds });
    expect(await cores[0].availableCount(offerId)).toBe(93);
  });

  it('concurrent reserves, releases and commits keep every code in exactly one place', async () => {
    const { offerId, all } = await loadOffer(2_000);
    const core = cores[0];
    const outcomes = await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const id = randomUUID();
        const r = await cores[i % cores.length].reserve(offerId, id, randomQuantity(), 60_000);
        if (r.status !== 'reserved') return { id, state: 'none' as const, codes: [] as string[] };
        if (i % 3 === 0) {
          await cores[(i + 1) % cores.length].release(offerId, id);
          return { id, state: 'released' as const, codes: r.codeIds };
        }
        if (i % 3 === 1) {
          await cores[(i + 2) % cores.length].commit(offerId, id);
          return { id, state: 'committed' as const, codes: r.codeIds };
        }
        return { id, state: 'held' as const, codes: r.codeIds };
      }),
    );
    const left = await fx.redis.lrange(core.keysOf(offerId).available, 0, -1);
    const owned = outcomes.filter((o) => o.state === 'committed' || o.state === 'held').flatMap((o) => o.codes);
    expect(new Set([...left, ...owned]).size).toBe(left.length + owned.length);
    expect([...left, ...owned].sort()).toEqual([...all].sort());
  });

  it('reserves sent in the same tick are grouped per offer yet each answers for itself', async () => {
    const { offerId } = await loadOffer(10);
    const core = cores[0];
    const ended = randomUUID();
    await core.reserve(offerId, ended, 1, 60_000);
    await core.release(offerId, ended);
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    // One tick, one connection: these become one script run for `offerId` and one for `unloaded`.
    const results = await Promise.all([
      core.reserve(offerId, a, 4, 60_000),
      core.reserve(offerId, b, 4, 60_000),
      core.reserve(offerId, a, 4, 60_000),
      core.reserve(offerId, c, 3, 60_000),
      core.reserve(offerId, ended, 1, 60_000),
      core.reserve(newOfferId(), randomUUID(), 1, 60_000),
      core.reserve(offerId, d, 2, 60_000),
    ]);
    expect(results.map((r) => r.status)).toEqual(['reserved', 'reserved', 'reserved', 'insufficient', 'ended', 'not_loaded', 'reserved']);
    const [ra, rb, replay, rc, , , rd] = results;
    expect(replay).toEqual({ ...ra, replayed: true });
    expect(rc).toEqual({ status: 'insufficient', available: 2 });
    const taken = [ra, rb, rd].flatMap((r) => (r.status === 'reserved' ? r.codeIds : []));
    expect(new Set(taken).size).toBe(10);
    expect(await core.availableCount(offerId)).toBe(0);
  });
});
