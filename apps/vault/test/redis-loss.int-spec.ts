import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '@kami/testing';
import { createAllocationRig, type AllocationRig } from './support/allocation-rig';

/**
 * Redis is only the fast path: flushed in the middle of a run of reservations and commits, the
 * vault rebuilds it from PostgreSQL without losing or double-selling a code. The test owns a Redis
 * server, because FLUSHALL would wipe other test files' keys on the shared one.
 */
describe('losing Redis in the middle of allocations', () => {
  let redis: PrivateRedis;
  let rig: AllocationRig;
  let admin: Redis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    rig = await createAllocationRig('redisloss', { redisUrl: redis.url });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  });

  afterAll(async () => {
    admin?.disconnect();
    await rig?.dispose();
    await redis?.stop();
  });

  it('keeps uploaded = available + reserved + sold + void, sells nothing twice and keeps live reservations across FLUSHALL', async () => {
    const offerId = await rig.seedOffer(3000);
    // Reservations made before the flush and still held after it: they must survive.
    const live = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const reservationId = randomUUID();
        const result = await rig.allocator.reserve({ reservationId, offerId, quantity: 20 });
        if (result.status !== 'reserved') throw new Error('setup: the live reservation failed');
        return { reservationId, codeIds: result.codeIds };
      }),
    );

    let completed = 0;
    let flushed = false;
    const sold = new Map<string, string>();
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; i < 12; i += 1) {
        const reservationId = randomUUID();
        const result = await rig.allocator.reserve({ reservationId, offerId, quantity: 1 + ((w + i) % 9) });
        if (result.status === 'reserved' && (w + i) % 2 === 0) {
          const commit = await rig.allocator.commit(reservationId);
          expect(commit.status).toBe('committed');
          for (const id of result.codeIds) {
            expect(sold.has(id)).toBe(false);
            sold.set(id, reservationId);
          }
        }
        completed += 1;
        if (!flushed && completed >= 150) {
          flushed = true;
          await admin.flushall();
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
    expect(flushed).toBe(true);

    // Quiet point: rebuild (as the reconciler or the next reservation would) and compare.
    await rig.cache.rebuild(offerId, true);
    const counts = await rig.counts(offerId);
    expect(counts.uploaded).toBe(3000);
    expect(counts.available + counts.reserved + counts.sold + counts.void).toBe(counts.uploaded);
    expect(await rig.counters(offerId)).toEqual(counts);
    expect(counts.sold).toBe(sold.size);
    expect(await rig.core.availableCount(offerId)).toBe(counts.available);

    // No sold code is listed as available in Redis.
    const listed = new Set(await rig.redis.lrange(rig.core.keysOf(offerId).available, 0, -1));
    expect([...sold.keys()].filter((id) => listed.has(id))).toEqual([]);

    // The live reservations survived: Redis knows them again and they commit with their own codes.
    for (const { reservationId, codeIds } of live) {
      expect((await rig.core.reservation(offerId, reservationId))?.state).toBe('held');
      const commit = await rig.allocator.commit(reservationId);
      expect(commit).toMatchObject({ status: 'committed', codeIds });
    }
    const after = await rig.counts(offerId);
    expect(after.sold).toBe(sold.size + 200);
    expect(after.available + after.reserved + after.sold + after.void).toBe(3000);
  });
});
