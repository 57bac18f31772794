import { randomUUID } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import {
  benchCleanup,
  cpuPerOp,
  created,
  createTestDatabase,
  hopBreakdown,
  machineCpuSeconds,
  marketplace,
  percentile,
  printHopBreakdown,
  roundTo,
  startOtlpCollector,
  startSystem,
  type BenchResult,
  type OtlpCollector,
} from '@kami/testing';

/*
 * `npm run bench:pull`: reseller storefronts pulling codes from their purchased stock, through the
 * real system — gateway (API key, rate limiter, signed identity), delivery (the (buyer, key) rows
 * and SKIP LOCKED claims of the pulls that arrive together, in one transaction), the vault's
 * audited reveal (decrypts the codes, records each pull's reveal) — PostgreSQL, Redis and Kafka.
 *
 * One merchant buys the codes of both cases into its stock (fulfilment: stock). Cases:
 * `pull1-c1`, one storefront client pulling SINGLE_PULLS codes one after another (latency alone),
 * then `pull1-c<CLIENTS>`, CLIENTS clients (one API key each) pulling until the stock is gone.
 * Each pull is POST /api/v1/stock/{productId}/pull with a new Idempotency-Key; latency: request
 * sent → plaintext received. Baseline in the same run, same clients, same number of codes:
 * `pg-skip-locked`, the same claim-one-code transaction (insert the key's row, claim the oldest
 * unrevealed code FOR UPDATE SKIP LOCKED, keep it on the key's row) run straight against a
 * PostgreSQL table of the same shape and index — no HTTP, no identity, no reveal.
 *
 * Each line also gives the CPU a pull cost the whole machine (cores × seconds ÷ pulls); with
 * BENCH_TRACE_RATIO > 0 (default 0.1) the services trace that share of pulls and each kami case
 * prints its per-hop breakdown.
 *
 * Human-readable lines per case, then, last, one JSON line as SPEC.md (Performance) describes.
 */

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
/** Codes the many-client case pulls (with the single-client case's, one JSON upload: at most 10,000). */
const STOCK = Number(process.env.BENCH_STOCK ?? 6_000);
/** Pulls the single-client case measures (latency alone). */
const SINGLE_PULLS = Number(process.env.BENCH_SINGLE_PULLS ?? 300);
const UNIT_PRICE = 100;
/** The share of pulls traced for the per-hop breakdown (0: no tracing at all). */
const TRACE_RATIO = Number(process.env.BENCH_TRACE_RATIO ?? 0.1);

interface PullCase {
  name: string;
  clients: number;
  warmup: number;
  /** Measured pulls at most (the many-client case pulls until the stock is gone). */
  pulls: number;
}

const CASES: PullCase[] = [
  { name: 'pull1-c1', clients: 1, warmup: 20, pulls: SINGLE_PULLS },
  { name: `pull1-c${CLIENTS}`, clients: CLIENTS, warmup: 200, pulls: Number.POSITIVE_INFINITY },
];
const STOCK_NEEDED = CASES.reduce((n, c) => n + c.warmup + (Number.isFinite(c.pulls) ? c.pulls : STOCK), 0);

/** The case's clients loop calling `op` until it reports the stock empty or the case has its pulls; the first `warmup` are not measured. */
async function drive(c: PullCase, system: string, op: (client: number) => Promise<boolean>): Promise<BenchResult> {
  const latencies: number[] = [];
  let done = 0;
  let start = 0;
  let failures = 0;
  let cpuBefore: number | undefined;
  const client = async (i: number): Promise<void> => {
    while (latencies.length < c.pulls) {
      const started = performance.now();
      const got = await op(i).catch((error: unknown) => {
        failures += 1;
        if (failures <= 3) console.error(`${system}: ${String(error)}`);
        return failures < 100;
      });
      if (!got) return;
      done += 1;
      if (done === c.warmup) {
        start = performance.now();
        cpuBefore = machineCpuSeconds();
      } else if (done > c.warmup) latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: c.clients }, (_, i) => client(i)));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuPerOp(cpuBefore, machineCpuSeconds(), latencies.length);
  latencies.sort((a, b) => a - b);
  const result: BenchResult = {
    case: c.name,
    system,
    opsPerSec: roundTo(latencies.length / elapsed, 1),
    unitsPerSec: roundTo(latencies.length / elapsed),
    p50Ms: roundTo(percentile(latencies, 50), 2),
    p99Ms: roundTo(percentile(latencies, 99), 2),
  };
  console.log(
    `${c.name.padEnd(9)} ${system.padEnd(15)} ${latencies.length} pulls measured in ${elapsed.toFixed(1)} s (after ${c.warmup} warm-up): ${result.opsPerSec} pulls/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; ${cpu}${failures ? `  (${failures} failed)` : ''}`,
  );
  return result;
}

/** The baseline's table: delivered_code's shape and stock index, and the pull-key table, in a database of its own. */
async function seedBaseline(pool: Pool, buyerId: string, productId: string): Promise<void> {
  await pool.query(`
    CREATE TABLE delivered_code (
      code_id bigint PRIMARY KEY, buyer_id uuid NOT NULL, product_id uuid NOT NULL, destination text NOT NULL,
      delivered_at timestamptz NOT NULL DEFAULT now(), first_revealed_at timestamptz, first_reveal_channel text);
    CREATE INDEX delivered_code_stock_available ON delivered_code (buyer_id, product_id, delivered_at, code_id) WHERE destination = 'stock' AND first_revealed_at IS NULL;
    CREATE TABLE stock_pull (buyer_id uuid NOT NULL, idempotency_key text NOT NULL, product_id uuid NOT NULL, code_id bigint, PRIMARY KEY (buyer_id, idempotency_key));`);
  await pool.query(`INSERT INTO delivered_code (code_id, buyer_id, product_id, destination) SELECT g, $1, $2, 'stock' FROM generate_series(1, $3) g`, [buyerId, productId, STOCK_NEEDED]);
  await pool.query(`VACUUM ANALYZE delivered_code`);
}

async function baselinePull(pool: Pool, buyerId: string, productId: string): Promise<boolean> {
  const client = await pool.connect();
  try {
    const key = randomUUID();
    await client.query('BEGIN');
    await client.query(`INSERT INTO stock_pull (buyer_id, idempotency_key, product_id) VALUES ($1, $2, $3)`, [buyerId, key, productId]);
    const claimed = await client.query(
      `WITH next AS (
         SELECT code_id FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 AND destination = 'stock' AND first_revealed_at IS NULL
          ORDER BY delivered_at, code_id LIMIT 1 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE delivered_code d SET first_revealed_at = now(), first_reveal_channel = 'stock_pull' FROM next WHERE d.code_id = next.code_id RETURNING d.code_id)
       UPDATE stock_pull p SET code_id = claimed.code_id FROM claimed WHERE p.buyer_id = $1 AND p.idempotency_key = $3 RETURNING claimed.code_id`,
      [buyerId, productId, key],
    );
    await client.query('COMMIT');
    return claimed.rowCount === 1;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function main(): Promise<void> {
  const startedAt = Number(process.env.KAMI_BENCH_STARTED_AT) || Date.now();
  const cleanups = benchCleanup('stopping the benchmark system');
  console.log(`pull benchmark: ${CLIENTS} storefront clients, ${STOCK} codes of stock each run; ${os.cpus().length} CPUs, Node ${process.version}`);
  const results: BenchResult[] = [];
  try {
    let collector: OtlpCollector | undefined;
    if (TRACE_RATIO > 0) {
      collector = await startOtlpCollector();
      cleanups.add(() => collector!.stop());
    }
    const h = await startSystem({
      label: 'benchpull',
      ...(collector ? { otlpEndpoint: collector.url, traceSampleRatio: TRACE_RATIO } : {}),
      services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
      // All clients share one address: the benchmark measures pulls, not the limiter.
      limits: { RATE_LIMIT_PER_IP: 10_000_000, RATE_LIMIT_PER_API_KEY: 10_000_000 },
    });
    cleanups.add(() => h.stop());
    const operator = await h.bootstrapOperator();
    const m = marketplace(h, operator);
    const brandId = await m.createBrand();
    const supplier = await m.authorisedSupplier(brandId, 'Bench Supplier');
    const product = await m.createProduct(brandId);
    const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], STOCK_NEEDED);
    const merchant = await m.fundedMerchant(STOCK_NEEDED * UNIT_PRICE, 'Bench Storefront');
    const order = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: STOCK_NEEDED }], fulfilment: 'stock' }));
    await m.untilDelivered(merchant, order.id);
    const keys = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => m.apiKey(merchant, `storefront ${i}`)));

    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    cleanups.add(async () => agent.destroy());
    const pullUrl = new URL(`/api/v1/stock/${product.id}/pull`, h.gateway.url);
    const pullKami = async (i: number): Promise<boolean> => {
      const response = await post(pullUrl, agent, { 'x-api-key': keys[i]!.key, 'idempotency-key': randomUUID() });
      if (response.status === 200) return true;
      if (response.status === 409 && (JSON.parse(response.text) as { code?: string }).code === 'stock_exhausted') return false;
      throw new Error(`pull answered ${response.status}: ${response.text.slice(0, 300)}`);
    };
    for (const c of CASES) {
      collector?.spans.splice(0);
      results.push(await drive(c, 'kami', pullKami));
      if (collector) {
        // Spans are exported in batches every half second.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        printHopBreakdown(`${c.name} kami`, hopBreakdown(collector.spans.splice(0)));
      }
    }

    const database = await createTestDatabase('benchpull_baseline');
    cleanups.add(() => database.drop());
    const pool = new Pool({ connectionString: database.url, max: Math.max(...CASES.map((c) => c.clients)) });
    // Dropping the database ends idle connections from the server side: not an error here.
    pool.on('error', () => undefined);
    cleanups.add(() => pool.end());
    const buyerId = randomUUID();
    await seedBaseline(pool, buyerId, product.id);
    for (const c of CASES) results.push(await drive(c, 'pg-skip-locked', () => baselinePull(pool, buyerId, product.id)));
  } finally {
    await cleanups.run();
  }
  console.log(`total run ${((Date.now() - startedAt) / 1000).toFixed(1)} s, system start included; load average ${os.loadavg()[0]!.toFixed(2)} at the end`);
  console.log(JSON.stringify({ bench: 'pull', results }));
}

/**
 * The storefronts' client: node:http over kept-alive connections, a lighter client than fetch, so
 * that the machine's CPU goes to the system under test (a storefront's client runs on its own
 * machine; the baseline's is the pg driver in this process).
 */
function post(url: URL, agent: http.Agent, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { accept: 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
