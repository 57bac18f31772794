import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchCleanup, marketplace, percentile, roundTo, startSystem, type Account, type BenchResult, type Marketplace } from '@kami/testing';

/*
 * `npm run bench:e2e`: whole orders through the real system — gateway, catalog, vault, ordering,
 * settlement, PostgreSQL, Redis and Kafka — the way a reseller storefront buys.
 *
 * Each client loops: POST /api/v1/orders (Idempotency-Key) for one offer's codes, then waits
 * for the order as a storefront does: GET /api/v1/orders/{id}?wait=30, a long-poll ordering
 * answers as soon as the order has ended (placed → reserved by the vault → paid into escrow by
 * settlement → codes committed by the vault → delivered). The latency is from sending the order
 * to seeing it delivered; an order that ends otherwise is counted apart and reported.
 * Cases: qty1 (1 code per order) and qty100 (100 codes per order), CLIENTS concurrent clients,
 * a fixed number of orders each, after a short warm-up.
 * Baseline in the same run: the same orders from clients without long-poll, polling the order
 * every POLL_MS (`kami-polling`): what the saga delivers when storefronts hammer the API.
 *
 * Human-readable lines per case, then, last, one JSON line as SPEC.md (Performance) describes.
 */

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 10);
const WAIT_SECONDS = 30;
const WARMUP_ORDERS = 16;
const CASES = [
  { name: 'qty1', quantity: 1, orders: Number(process.env.BENCH_QTY1_ORDERS ?? 480) },
  { name: 'qty100', quantity: 100, orders: Number(process.env.BENCH_QTY100_ORDERS ?? 80) },
];
const UNIT_PRICE = 9_500;

type Waiting = 'long-poll' | 'polling';
const SYSTEM_OF: Record<Waiting, string> = { 'long-poll': 'kami', polling: 'kami-polling' };

interface Result extends BenchResult {
  system: string;
}

async function runCase(m: Marketplace, merchant: Account, offerId: string, name: string, quantity: number, orders: number, waiting: Waiting): Promise<Result> {
  const latencies: number[] = [];
  const otherwise: Record<string, number> = {};
  let next = 0;
  const placeAndWait = async (): Promise<void> => {
    const started = performance.now();
    const placed = await m.placeOrder(merchant, { lines: [{ offerId, quantity }] });
    if (placed.status !== 201) throw new Error(`order answered ${placed.status}: ${placed.text}`);
    for (;;) {
      const order = await m.order(merchant, placed.body.id, waiting === 'long-poll' ? WAIT_SECONDS : undefined);
      if (order.status === 'delivered') break;
      if (order.status === 'cancelled' || order.status === 'failed') {
        otherwise[order.status] = (otherwise[order.status] ?? 0) + 1;
        return;
      }
      if (waiting === 'polling') await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    latencies.push(performance.now() - started);
  };
  const client = async (count: () => boolean): Promise<void> => {
    while (count()) await placeAndWait();
  };

  // Warm-up: JIT, pools, consumer groups settled.
  let warm = 0;
  await Promise.all(Array.from({ length: Math.min(CLIENTS, WARMUP_ORDERS) }, () => client(() => warm++ < WARMUP_ORDERS)));
  latencies.length = 0;

  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, () => client(() => next++ < orders)));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const delivered = latencies.length;
  const result: Result = {
    case: name,
    system: SYSTEM_OF[waiting],
    opsPerSec: roundTo(delivered / elapsed, 1),
    unitsPerSec: roundTo((delivered * quantity) / elapsed),
    p50Ms: roundTo(percentile(latencies, 50), 1),
    p99Ms: roundTo(percentile(latencies, 99), 1),
  };
  const notDelivered = Object.entries(otherwise).map(([status, n]) => `${n} ${status}`).join(', ');
  console.log(
    `${name.padEnd(7)} ${waiting.padEnd(9)} ${String(delivered).padStart(4)} orders delivered in ${elapsed.toFixed(1)} s: ${result.opsPerSec} orders/s, ${result.unitsPerSec} codes/s, placed → delivered p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms${notDelivered ? `  (not delivered: ${notDelivered})` : ''}`,
  );
  return result;
}

async function main(): Promise<void> {
  const startedAt = Number(process.env.KAMI_BENCH_STARTED_AT) || Date.now();
  const cleanups = benchCleanup('stopping the benchmark system');
  console.log(`e2e benchmark: ${CLIENTS} storefront clients through the gateway; ${os.cpus().length} CPUs, Node ${process.version}`);
  const h = await startSystem({
    label: 'benche2e',
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    // One top-up funds every order of the run: the sandbox channel's limit is raised (by default ¥50,000 a payment).
    serviceEnv: { vault: { STOCK_EVENT_INTERVAL_MS: '50' }, settlement: { SANDBOX_CHANNELS: 'standard:100000000000' } },
    // The polling clients all come from one address: the benchmark measures the saga, not the limiter.
    limits: { RATE_LIMIT_PER_IP: 10_000_000, RATE_LIMIT_PER_API_KEY: 10_000_000 },
  });
  cleanups.add(() => h.stop());
  const results: Result[] = [];
  try {
    const operator = await h.bootstrapOperator();
    const m = marketplace(h, operator);
    const brandId = await m.createBrand();
    const supplier = await m.authorisedSupplier(brandId, 'Bench Supplier');
    const merchant = await h.createAccount(operator.token, 'merchant', 'Bench Storefront');
    const waitings: Waiting[] = ['long-poll', 'polling'];
    const totalCodes = CASES.reduce((n, c) => n + (c.orders + WARMUP_ORDERS) * c.quantity, 0) * waitings.length;
    await m.topUp(merchant, totalCodes * UNIT_PRICE);
    for (const c of CASES) {
      for (const waiting of waitings) {
        const codes = (c.orders + WARMUP_ORDERS) * c.quantity;
        // One offer per case and client kind, filled by one JSON upload (at most 10,000 codes).
        if (codes > 10_000) throw new Error(`case ${c.name} needs ${codes} codes: at most 10,000 fit one upload`);
        const product = await m.createProduct(brandId);
        const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], codes);
        results.push(await runCase(m, merchant, offer.id, c.name, c.quantity, c.orders, waiting));
      }
    }
  } finally {
    await cleanups.run();
  }
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`total run ${((Date.now() - startedAt) / 1000).toFixed(1)} s, system start included; load average ${load} at the end`);
  console.log(JSON.stringify({ bench: 'e2e', results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
