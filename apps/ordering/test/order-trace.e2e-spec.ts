import { randomBytes, randomUUID } from 'node:crypto';
import { eventually, marketplace, startOtlpCollector, startSystem, type CollectedSpan, type OtlpCollector, type SystemHarness } from '@kami/testing';

/*
 * One order is one trace: a storefront sends its order with a W3C traceparent, and every service
 * the order passes through (gateway, ordering, vault, settlement, delivery) exports its spans
 * under that trace id to an OTLP collector — over HTTP hops and over Kafka events alike.
 */

let h: SystemHarness;
let collector: OtlpCollector;

beforeAll(async () => {
  collector = await startOtlpCollector();
  h = await startSystem({ label: 'ordertrace', services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'], otlpEndpoint: collector.url });
}, 240_000);

afterAll(async () => {
  await h?.stop();
  await collector?.stop();
});

const SAGA_SERVICES = ['kami-gateway', 'kami-ordering', 'kami-vault', 'kami-settlement', 'kami-delivery'];

it('exports the spans of every service an order passes through under the trace id the storefront sent', async () => {
  const operator = await h.bootstrapOperator();
  const m = marketplace(h, operator);
  const brandId = await m.createBrand();
  const supplier = await m.authorisedSupplier(brandId, 'Trace Supplier');
  const product = await m.createProduct(brandId);
  const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 500 }], 5);
  const merchant = await m.fundedMerchant(5_000, 'Trace Storefront');

  const traceId = randomBytes(16).toString('hex');
  const storefrontSpan = randomBytes(8).toString('hex');
  const placed = await h.gateway.request('POST', '/api/v1/orders', {
    token: merchant.token,
    json: { lines: [{ offerId: offer.id, quantity: 2 }] },
    headers: { 'Idempotency-Key': randomUUID(), traceparent: `00-${traceId}-${storefrontSpan}-01` },
  });
  expect(placed.status).toBe(201);
  await m.untilDelivered(merchant, placed.body.id);

  // One tree: every span's parent is a span of the trace, or the storefront's own.
  const orphansOf = (found: CollectedSpan[]): CollectedSpan[] => {
    const ids = new Set(found.map((s) => s.spanId));
    return found.filter((s) => s.parentSpanId !== storefrontSpan && !ids.has(s.parentSpanId ?? ''));
  };
  // Services export in batches, a parent after its children: wait until every service's spans, and every parent, arrived.
  const spans = await eventually(
    async () => collector.trace(traceId),
    (found) => SAGA_SERVICES.every((service) => found.some((s) => s.service === service)) && orphansOf(found).length === 0,
    { what: 'spans of every service under the trace id, each with its parent', timeoutMs: 30_000 },
  ).catch(() => collector.trace(traceId));
  expect([...new Set(spans.map((s) => s.service))]).toEqual(expect.arrayContaining(SAGA_SERVICES));
  expect(orphansOf(spans).map(describe)).toEqual([]);

  // The order crossed Kafka: events published by one service and consumed by the next, in the same trace.
  const published = spans.filter((s) => s.kind === 4).map((s) => s.name);
  const consumed = spans.filter((s) => s.kind === 5).map((s) => `${s.service} ${s.name}`);
  expect(published.some((name) => name.startsWith('ordering.order'))).toBe(true);
  expect(consumed.some((name) => name.startsWith('kami-vault ordering.order'))).toBe(true);
  expect(consumed.some((name) => name.startsWith('kami-settlement '))).toBe(true);
  // Nothing of a code in a span's name.
  expect(spans.every((s) => !/"code"/.test(s.name))).toBe(true);
}, 120_000);

const describe = (s: CollectedSpan): string => `${s.service} ${s.name} (parent ${s.parentSpanId ?? 'none'})`;
