import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { percentile, roundTo, testInfrastructure, testNames, type BenchResult } from '@kami/testing';
import { createAllocationRig, type AllocationRig } from '../test/support/allocation-rig';

/*
 * `npm run bench:reserve`: the reservation core under 64 concurrent clients on the same offers.
 *
 * Cases, each run for a fixed time after a warm-up, on freshly seeded codes:
 *  - qty1-reserve     kami: one reservation of 1 code through the Redis script alone (the fast path);
 *  - qty1-allocate    kami: reserve 1 code and commit it, durable in PostgreSQL (what the saga does per order line);
 *  - qty100-allocate  kami: the same with 100 codes.
 * Baselines in the same run, same clients, same amount of codes:
 *  - pg-skip-locked: how 卡密 shops allocate — one autocommit
 *      UPDATE ... WHERE id IN (SELECT id ... LIMIT n FOR UPDATE SKIP LOCKED) per request,
 *    on a table of the same shape with the (offer_id, status) index such shops have;
 *  - redis-lpop: raw `LPOP key n` on a list of the same ids (no idempotency, no durability: the ceiling).
 * kami allocations go through the vault's real Allocator (Redis script, guarded PostgreSQL
 * transitions, group commit, stock counters and their outbox events).
 *
 * Human-readable lines per case, then, last, one JSON line as SPEC.md (Performance) describes.
 */

const CLIENTS = 64;
const OFFERS = 4;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = 500;
/** Comma-separated case names to run (all by default): for profiling one case. */
const ONLY = process.env.BENCH_CASES?.split(',');
const wanted = (name: string): boolean => !ONLY || ONLY.includes(name);

interface Result extends BenchResult {
  system: 'kami' | 'pg-skip-locked' | 'redis-lpop';
}

/**
 * Runs `op` from CLIENTS concurrent loops (client i works on offer i % OFFERS) for WARMUP_MS
 * unmeasured, then DURATION_MS measured. `op` returns how many codes it got (0 = out of stock:
 * that client stops, which the report shows as fewer ops).
 */
async function drive(caseName: string, system: Result['system'], op: (offer: number) => Promise<number>): Promise<Result> {
  const latencies: number[] = [];
  let units = 0;
  let ops = 0;
  let measuring = false;
  let stop = false;
  let exhausted = 0;
  const client = async (i: number): Promise<void> => {
    while (!stop) {
      const started = performance.now();
      const got = await op(i % OFFERS);
      if (got === 0) {
        exhausted += 1;
        return;
      }
      if (measuring && !stop) {
        latencies.push(performance.now() - started);
        units += got;
        ops += 1;
      }
    }
  };
  const running = Array.from({ length: CLIENTS }, (_, i) => client(i));
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  measuring = true;
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  stop = true;
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(running);
  latencies.sort((a, b) => a - b);
  const result: Result = {
    case: caseName,
    system,
    opsPerSec: roundTo(ops / elapsed),
    unitsPerSec: roundTo(units / elapsed),
    p50Ms: roundTo(percentile(latencies, 50), 2),
    p99Ms: roundTo(percentile(latencies, 99), 2),
  };
  console.log(
    `${caseName.padEnd(16)} ${system.padEnd(15)} ${String(result.opsPerSec).padStart(8)} ops/s ${String(result.unitsPerSec).padStart(9)} codes/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms${exhausted ? `  (${exhausted} clients ran out of codes)` : ''}`,
  );
  return result;
}

async function seedKamiOffers(rig: AllocationRig, codesPerOffer: number): Promise<string[]> {
  const offers: string[] = [];
  for (let i = 0; i < OFFERS; i += 1) offers.push(await rig.seedOffer(codesPerOffer));
  // Load Redis up front, as a running vault has it: the measured run is allocation, not loading.
  for (const offerId of offers) await rig.cache.rebuild(offerId);
  await rig.dataSource.query('VACUUM (ANALYZE) code');
  return offers;
}

async function seedShopTable(pool: Pool, codesPerOffer: number): Promise<string[]> {
  await pool.query(`DROP TABLE IF EXISTS shop_code`);
  // The vault's code table shape, with the index a shop allocating by SKIP LOCKED relies on.
  await pool.query(`CREATE TABLE shop_code (LIKE code INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 80)`);
  await pool.query(`ALTER TABLE shop_code ADD PRIMARY KEY (id)`);
  const offers = Array.from({ length: OFFERS }, () => randomUUID());
  for (const [i, offerId] of offers.entries()) {
    await pool.query(
      `INSERT INTO shop_code (id, offer_id, batch_id, fingerprint, secret)
       SELECT $2::bigint * 10000000 + g, $1::uuid, $1::uuid, sha256(convert_to($1::text || g, 'UTF8')), '\\x00'::bytea FROM generate_series(1, $3) AS g`,
      [offerId, i + 1, codesPerOffer],
    );
  }
  await pool.query(`CREATE INDEX shop_code_offer_status_idx ON shop_code (offer_id, status)`);
  await pool.query(`VACUUM (ANALYZE) shop_code`);
  return offers;
}

async function seedLists(redis: Redis, prefix: string, codesPerOffer: number): Promise<string[]> {
  const keys = Array.from({ length: OFFERS }, (_, i) => `${prefix}lpop:{o${i}}`);
  for (const [i, key] of keys.entries()) {
    await redis.del(key);
    for (let from = 1; from <= codesPerOffer; from += 10_000) {
      const ids = Array.from({ length: Math.min(10_000, codesPerOffer - from + 1) }, (_, j) => String((i + 1) * 10_000_000 + from + j));
      await redis.rpush(key, ...ids);
    }
  }
  return keys;
}

async function main(): Promise<void> {
  const infra = await testInfrastructure();
  console.log(`reserve benchmark: ${CLIENTS} clients on ${OFFERS} offers, ${DURATION_MS} ms per case after ${WARMUP_MS} ms warm-up; ${os.cpus().length} CPUs, Node ${process.version}`);
  const rig = await createAllocationRig('benchreserve', { poolSize: 8 });
  const pool = new Pool({ connectionString: rig.db.database.url, max: 32 });
  const lpopPrefix = testNames('benchlpop').redisPrefix;
  // Plain ioredis without auto-pipelining: the fastest way to LPOP from 64 loops (137k against 99k
  // with auto-pipelining, measured), so the ceiling we compare with is the highest one.
  const raw = new Redis(infra.redisUrl, { maxRetriesPerRequest: 2 });
  const results: Result[] = [];
  try {
    const ttlMs = 15 * 60_000;

    // qty1-reserve: the Redis script alone.
    let offers: string[] = [];
    let lists: string[] = [];
    let shop: string[] = [];
    if (wanted('qty1-reserve')) {
    offers = await seedKamiOffers(rig, 150_000);
    results.push(
      await drive('qty1-reserve', 'kami', async (o) => {
        const r = await rig.core.reserve(offers[o]!, randomUUID(), 1, ttlMs);
        return r.status === 'reserved' ? 1 : 0;
      }),
    );
    lists = await seedLists(raw, lpopPrefix, 1_000_000);
    results.push(await drive('qty1-reserve', 'redis-lpop', async (o) => ((await raw.lpop(lists[o]!, 1)) ?? []).length));
    }

    const skipLocked = async (offerId: string, n: number): Promise<number> => {
      const { rowCount } = await pool.query(
        `UPDATE shop_code SET status = 'allocated', reservation_id = $3
          WHERE id IN (SELECT id FROM shop_code WHERE offer_id = $1 AND status = 'available' LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [offerId, n, randomUUID()],
      );
      return rowCount ?? 0;
    };

    // qty1-allocate: reserve and commit, durable.
    if (wanted('qty1-allocate')) {
    offers = await seedKamiOffers(rig, 60_000);
    results.push(
      await drive('qty1-allocate', 'kami', async (o) => {
        const reservationId = randomUUID();
        const r = await rig.allocator.reserve({ reservationId, offerId: offers[o]!, quantity: 1 });
        if (r.status !== 'reserved') return 0;
        await rig.allocator.commit(reservationId);
        return 1;
      }),
    );
    shop = await seedShopTable(pool, 60_000);
    results.push(await drive('qty1-allocate', 'pg-skip-locked', (o) => skipLocked(shop[o]!, 1)));
    lists = await seedLists(raw, lpopPrefix, 1_000_000);
    results.push(await drive('qty1-allocate', 'redis-lpop', async (o) => ((await raw.lpop(lists[o]!, 1)) ?? []).length));
    }

    // qty100-allocate.
    if (wanted('qty100-allocate')) {
    offers = await seedKamiOffers(rig, 250_000);
    results.push(
      await drive('qty100-allocate', 'kami', async (o) => {
        const reservationId = randomUUID();
        const r = await rig.allocator.reserve({ reservationId, offerId: offers[o]!, quantity: 100 });
        if (r.status !== 'reserved') return 0;
        await rig.allocator.commit(reservationId);
        return 100;
      }),
    );
    shop = await seedShopTable(pool, 250_000);
    results.push(await drive('qty100-allocate', 'pg-skip-locked', (o) => skipLocked(shop[o]!, 100)));
    lists = await seedLists(raw, lpopPrefix, 1_000_000);
    results.push(await drive('qty100-allocate', 'redis-lpop', async (o) => ((await raw.lpop(lists[o]!, 100)) ?? []).length));
    }
  } finally {
    const keys = await raw.keys(`${lpopPrefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await pool.end();
    await rig.dispose();
  }

  const by = (c: string, s: Result['system']): Result | undefined => results.find((r) => r.case === c && r.system === s);
  const ratio = (a?: Result, b?: Result, field: 'opsPerSec' | 'unitsPerSec' = 'opsPerSec'): string => (a && b && b[field] > 0 ? (a[field] / b[field]).toFixed(2) : 'n/a');
  console.log(`qty1-allocate kami / pg-skip-locked: ${ratio(by('qty1-allocate', 'kami'), by('qty1-allocate', 'pg-skip-locked'))}x (aim ≥ 10x)`);
  console.log(`qty1-reserve kami / redis-lpop: ${ratio(by('qty1-reserve', 'kami'), by('qty1-reserve', 'redis-lpop'))}x (aim ≥ 0.5x)`);
  console.log(`qty100-allocate kami: ${by('qty100-allocate', 'kami')?.unitsPerSec} codes/s (aim ≥ 100,000)`);
  console.log(JSON.stringify({ bench: 'reserve', results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
