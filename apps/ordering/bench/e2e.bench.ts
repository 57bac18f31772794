import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { benchCleanup, cpuPerOp, machineCpuSeconds, hopBreakdown, marketplace, percentile, printHopBreakdown, roundTo, startOtlpCollector, startSystem, type Account, type BenchResult, type Marketplace, type OtlpCollector } from '@kami/testing';
import { startChain } from './chain-5hop';

/*
 * `npm run bench:e2e`: whole orders through the real system — gateway, catalog, vault, ordering,
 * settlement, delivery, PostgreSQL, Redis and Kafka — the way a reseller storefront buys.
 *
 * Each client loops: POST /api/v1/orders (Idempotency-Key) for one offer's codes, then waits
 * for the order as a storefront does: GET /api/v1/orders/{id}?wait=30, a long-poll ordering
 * answers as soon as the order has ended (placed → reserved by the vault → paid into escrow by
 * settlement → codes committed by the vault → delivered, its codes readable). The latency is from
 * sending the order to seeing it delivered; an order that ends otherwise is counted apart.
 *
 * Cases (name: codes per order, concurrent clients): qty1-c1 (latency alone), qty1-c16,
 * qty100-c16 and qty10000-c1 (one order of 10,000 codes). Baselines in the same run:
 * - `chain-5hop` (qty1-c1 and qty1-c16): a message through five chained Kafka consumers, each
 *   committing one PostgreSQL row before producing the next (chain-5hop.ts) — the floor of a
 *   five-step saga on this machine, one chain at a time and 16 at once;
 * - `kami-polling` (qty1-c16): the same orders from clients that poll every POLL_MS instead of
 *   long-polling: what the saga delivers when storefronts hammer the API.
 *
 * Where the time goes: the services export traces of BENCH_TRACE_RATIO of the orders (default
 * 0.2; 0 turns tracing off) to a collector in this process, and each kami case prints its per-hop
 * breakdown (each service's handling, each event's wait in the outbox and on Kafka).
 *
 * Human-readable lines per case, the ratios the product is held to, then, last, one JSON line as
 * SPEC.md (Performance) describes.
 */

const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 10);
/** The share of orders traced for the per-hop breakdown (0: no tracing at all). */
const TRACE_RATIO = Number(process.env.BENCH_TRACE_RATIO ?? 0.2);
const WAIT_SECONDS = 30;
const UNIT_PRICE = 9_500;

interface Case {
  name: string;
  quantity: number;
  clients: number;
  orders: number;
  warmup: number;
  baselines: ('chain-5hop' | 'kami-polling')[];
}

const ALL_CASES: Case[] = [
  { name: 'qty1-c1', quantity: 1, clients: 1, orders: Number(process.env.BENCH_QTY1_C1_ORDERS ?? 60), warmup: 8, baselines: ['chain-5hop'] },
  { name: 'qty1-c16', quantity: 1, clients: 16, orders: Number(process.env.BENCH_QTY1_C16_ORDERS ?? 480), warmup: 16, baselines: ['chain-5hop', 'kami-polling'] },
  { name: 'qty100-c16', quantity: 100, clients: 16, orders: Number(process.env.BENCH_QTY100_C16_ORDERS ?? 80), warmup: 16, baselines: [] },
  { name: 'qty10000-c1', quantity: 10_000, clients: 1, orders: 1, warmup: 0, baselines: [] },
];
/** BENCH_CASES=qty1-c16,qty10000-c1: only those cases (default: all). */
const CASES = process.env.BENCH_CASES ? ALL_CASES.filter((c) => process.env.BENCH_CASES!.split(',').includes(c.name)) : ALL_CASES;

/** `clients` loops running `op` until `total` ran (after `warmup` unmeasured ones); latency of each. */
async function drive(c: Case, system: string, op: () => Promise<'done' | string>): Promise<BenchResult> {
  const latencies: number[] = [];
  const otherwise: Record<string, number> = {};
  let next = 0;
  const client = async (more: () => boolean, measured: boolean): Promise<void> => {
    while (more()) {
      const started = performance.now();
      const outcome = await op();
      if (outcome !== 'done') otherwise[outcome] = (otherwise[outcome] ?? 0) + 1;
      else if (measured) latencies.push(performance.now() - started);
    }
  };
  // Warm-up: JIT, pools, consumer groups settled.
  let warm = 0;
  await Promise.all(Array.from({ length: Math.min(c.clients, c.warmup) }, () => client(() => warm++ < c.warmup, false)));
  const start = performance.now();
  const cpuBefore = machineCpuSeconds();
  await Promise.all(Array.from({ length: c.clients }, () => client(() => next++ < c.orders, true)));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuPerOp(cpuBefore, machineCpuSeconds(), c.orders);
  latencies.sort((a, b) => a - b);
  const done = latencies.length;
  const result: BenchResult = {
    case: c.name,
    system,
    opsPerSec: roundTo(done / elapsed, 1),
    unitsPerSec: roundTo((done * c.quantity) / elapsed),
    p50Ms: roundTo(percentile(latencies, 50), 1),
    p99Ms: roundTo(percentile(latencies, 99), 1),
  };
  const notDone = Object.entries(otherwise).map(([status, n]) => `${n} ${status}`).join(', ');
  console.log(
    `${c.name.padEnd(11)} ${system.padEnd(12)} ${String(done).padStart(4)} done in ${elapsed.toFixed(1)} s: ${result.opsPerSec}/s, ${result.unitsPerSec} codes/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; ${cpu}${notDone ? `  (not delivered: ${notDone})` : ''}`,
  );
  return result;
}

/** Places one order and waits for its end (long-poll, or polling every POLL_MS): 'done' when delivered. */
async function placeAndWait(m: Marketplace, merchant: Account, offerId: string, quantity: number, polling: boolean): Promise<string> {
  const placed = await m.placeOrder(merchant, { lines: [{ offerId, quantity }] });
  if (placed.status !== 201) throw new Error(`order answered ${placed.status}: ${placed.text}`);
  for (;;) {
    const order = await m.order(merchant, placed.body.id, polling ? undefined : WAIT_SECONDS);
    if (order.status === 'delivered') return 'done';
    if (order.status === 'cancelled' || order.status === 'failed') return order.status as string;
    if (polling) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const find = (results: BenchResult[], c: string, system: string): BenchResult | undefined => results.find((r) => r.case === c && r.system === system);

/** The ratios issue-level goals are read from, each from one case of this run. */
function printRatios(results: BenchResult[]): void {
  const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? (a / b).toFixed(2) : 'n/a');
  const c1 = [find(results, 'qty1-c1', 'kami'), find(results, 'qty1-c1', 'chain-5hop')];
  const c16 = [find(results, 'qty1-c16', 'kami'), find(results, 'qty1-c16', 'chain-5hop')];
  console.log(`qty1-c1     kami p50 ÷ chain-5hop p50: ${ratio(c1[0]?.p50Ms, c1[1]?.p50Ms)}×  (${c1[0]?.p50Ms} ms vs ${c1[1]?.p50Ms} ms)`);
  console.log(`qty1-c16    kami orders/s ÷ chain-5hop chains/s: ${ratio(c16[0]?.opsPerSec, c16[1]?.opsPerSec)}×  (${c16[0]?.opsPerSec} vs ${c16[1]?.opsPerSec})`);
  console.log(`qty10000-c1 kami codes/s: ${find(results, 'qty10000-c1', 'kami')?.unitsPerSec ?? 'n/a'}`);
}

async function main(): Promise<void> {
  const startedAt = Number(process.env.KAMI_BENCH_STARTED_AT) || Date.now();
  const cleanups = benchCleanup('stopping the benchmark system');
  console.log(`e2e benchmark: storefront clients through the gateway; ${os.cpus().length} CPUs, Node ${process.version}`);
  let collector: OtlpCollector | undefined;
  if (TRACE_RATIO > 0) {
    collector = await startOtlpCollector();
    cleanups.add(() => collector!.stop());
  }
  const h = await startSystem({
    label: 'benche2e',
    ...(collector ? { otlpEndpoint: collector.url, traceSampleRatio: TRACE_RATIO } : {}),
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    // One top-up funds every order of the run: the sandbox channel's limit is raised (by default ¥50,000 a payment).
    serviceEnv: { vault: { STOCK_EVENT_INTERVAL_MS: '50' }, settlement: { SANDBOX_CHANNELS: 'standard:100000000000' } },
    // The polling clients all come from one address: the benchmark measures the saga, not the limiter.
    limits: { RATE_LIMIT_PER_IP: 10_000_000, RATE_LIMIT_PER_API_KEY: 10_000_000 },
  });
  cleanups.add(() => h.stop());
  const results: BenchResult[] = [];
  try {
    const chain = await startChain('benche2e');
    cleanups.add(() => chain.stop());
    const operator = await h.bootstrapOperator();
    const m = marketplace(h, operator);
    const brandId = await m.createBrand();
    const supplier = await m.authorisedSupplier(brandId, 'Bench Supplier');
    const merchant = await h.createAccount(operator.token, 'merchant', 'Bench Storefront');
    const codesOf = (c: Case): number => (c.orders + c.warmup) * c.quantity;
    const totalCodes = CASES.reduce((n, c) => n + codesOf(c) * (c.baselines.includes('kami-polling') ? 2 : 1), 0);
    await m.topUp(merchant, totalCodes * UNIT_PRICE);
    const offerFor = async (c: Case): Promise<string> => {
      // One offer per case and client kind, filled by one JSON upload (at most 10,000 codes).
      if (codesOf(c) > 10_000) throw new Error(`case ${c.name} needs ${codesOf(c)} codes: at most 10,000 fit one upload`);
      const product = await m.createProduct(brandId);
      return (await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], codesOf(c))).id;
    };
    for (const c of CASES) {
      const offerId = await offerFor(c);
      collector?.spans.splice(0);
      results.push(await drive(c, 'kami', () => placeAndWait(m, merchant, offerId, c.quantity, false)));
      if (collector) {
        // Spans are exported in batches every half second.
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        printHopBreakdown(`${c.name} kami`, hopBreakdown(collector.spans.splice(0)));
      }
      if (c.baselines.includes('chain-5hop')) results.push(await drive(c, 'chain-5hop', () => chain.run().then(() => 'done')));
      if (c.baselines.includes('kami-polling')) {
        const pollingOffer = await offerFor(c);
        results.push(await drive(c, 'kami-polling', () => placeAndWait(m, merchant, pollingOffer, c.quantity, true)));
      }
    }
  } finally {
    await cleanups.run();
  }
  printRatios(results);
  const load = os.loadavg()[0]!.toFixed(2);
  console.log(`total run ${((Date.now() - startedAt) / 1000).toFixed(1)} s, system start included; load average ${load} at the end`);
  console.log(JSON.stringify({ bench: 'e2e', results }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
