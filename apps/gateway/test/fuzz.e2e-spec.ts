import { randomUUID } from 'node:crypto';
import { deeplyNested, describeFuzzReport, fuzz, marketplace, startSystem, SYSTEM_SERVICES, type Account, type SystemHarness } from '@kami/testing';

/*
 * Every operation of the API document the gateway serves (so a route added tomorrow is fuzzed the
 * day it is added), as a merchant, a supplier and an operator, through the real gateway and
 * services: first a body nested 2,000 levels deep and each prototype key on every route that takes
 * a body, then requests generated from the schemas (fast-check) and broken one way at a time. No
 * answer may be a 5xx, every 4xx is problem+json with a code and leaves every table of every
 * database as it was, and none is slower than the bound.
 *
 * `npm test` runs a short campaign; `npm run fuzz -- --runs 20000 [--seed S] [--operation "POST /api/v1/…"]`
 * the long one. A failure prints the seed and the request; the same seed sends the same requests.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
// npm test sends the same requests every time (a fixed seed); `npm run fuzz` draws a new seed unless given one.
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 1207;
const MAX_MS = Number(process.env.FUZZ_MAX_MS ?? 5_000);

describe('every route, fuzzed from its OpenAPI document', () => {
  let h: SystemHarness;
  let accounts: Account[];
  const ids: string[] = [];

  beforeAll(async () => {
    h = await startSystem({
      label: 'fuzz',
      services: [...SYSTEM_SERVICES],
      limits: { RATE_LIMIT_PER_IP: 10_000_000, RATE_LIMIT_PER_API_KEY: 10_000_000, RATE_LIMIT_LOGIN_PER_IP: 1_000_000 },
    });
    const operator = await h.bootstrapOperator();
    const m = marketplace(h, operator);
    // Real resources, so that some path parameters name something and requests reach the handlers:
    // a brand, a product, an authorised supplier's active offer with stock, a funded merchant's order.
    const brandId = await m.createBrand();
    const product = await m.createProduct(brandId);
    const supplier = await m.authorisedSupplier(brandId, 'Fuzz Supplier');
    const offer = await m.offerWithStock(supplier, product.id as string, [{ minQuantity: 1, unitPrice: 500 }], 20);
    const merchant = await m.fundedMerchant(50_000, 'Fuzz Shop');
    const order = await m.placeOrder(merchant, { lines: [{ productId: product.id, quantity: 1 }] }, randomUUID());
    if (order.status !== 201) throw new Error(`placing the order answered ${order.status}: ${order.text}`);
    await m.untilDelivered(merchant, order.body.id as string);
    ids.push(offer.id as string, product.id as string, brandId, order.body.id as string, supplier.organisationId, merchant.organisationId, order.body.lines[0].id as string);
    accounts = [merchant, supplier, operator];
  }, 300_000);
  afterAll(() => h?.stop());

  it('has every service refuse a body nested too deep itself, before anything parses it (a caller inside the network skips the gateway)', async () => {
    for (const name of SYSTEM_SERVICES) {
      const response = await h.service(name).request('POST', `/api/v1/${name}/anything`, { rawJson: deeplyNested(10_000) });
      expect([name, response.status, response.contentType, response.body?.code]).toEqual([name, 400, expect.stringContaining('application/problem+json'), 'body_too_deep']);
    }
  });

  it(`answers every request with a 2xx or a 4xx problem, changes nothing on a 4xx, and answers within ${MAX_MS} ms (seed ${SEED})`, async () => {
    const document = (await h.gateway.request('GET', '/api/docs/openapi.json')).body;
    const report = await fuzz({
      baseUrl: h.gateway.url,
      document,
      accounts: accounts.map((a, i) => ({ name: ['merchant', 'supplier', 'operator'][i]!, token: a.token, login: () => h.loginToken(a.email, a.password) })),
      databases: [{ name: 'gateway', url: h.gatewayDatabase.url }, ...SYSTEM_SERVICES.map((name) => ({ name, url: h.service(name).database.url }))],
      ids,
      runs: RUNS,
      seed: SEED,
      maxMs: MAX_MS,
      operation: process.env.FUZZ_OPERATION || undefined,
      intendedChanges: [
        {
          operation: 'POST /api/v1/stock/{productId}/pull',
          code: 'stock_exhausted',
          tables: ['delivery.stock_pull', 'delivery.restock_request', 'delivery.platform_outbox'],
          why: 'an empty pull is kept under its Idempotency-Key (a retry answers the same) and sets off the auto-restock rule and the low-stock alarm',
        },
      ],
    });
    const summary = describeFuzzReport(report, SEED);
    // The campaign's figures, in the log of every run (the long run's go in the note).
    console.log(summary);
    // Every operation of every service is reached, whichever routes exist.
    if (!process.env.FUZZ_OPERATION) expect(report.operations).toBeGreaterThanOrEqual(90);
    expect(report.failures.length === 0 ? 'no failures' : summary).toBe('no failures');
  }, 600_000 + RUNS * 1_000);
});
