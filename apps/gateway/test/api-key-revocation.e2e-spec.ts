import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { created, marketplace, startSystem, type ApiResponse, type SystemHarness } from '@kami/testing';

/*
 * A revoked API key stops everywhere, at once, even though gateways keep verified keys in memory:
 * 64 storefront clients pull codes with one key through two gateway replicas while the merchant
 * revokes it on the first. The gateways keep keys for 60 s here, so only the revocation's
 * announcement (Redis) can stop the second replica in time.
 */

const CLIENTS = 64;
const STOCK = 400;
/** Revoke once this many pulls were served. */
const SERVED_BEFORE_REVOCATION = 100;
/** How long the announcement may take to reach the other replica (far below the 60 s the cache would keep the key). */
const ANNOUNCEMENT_MS = 2_000;
/** How long clients go on pulling after the revocation. */
const PULL_ON_MS = 4_000;

let h: SystemHarness;

beforeAll(async () => {
  const limits = { RATE_LIMIT_PER_IP: 10_000_000, RATE_LIMIT_PER_API_KEY: 10_000_000, API_KEY_CACHE_SECONDS: 60 };
  h = await startSystem({ label: 'keyrevoke', services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'], limits, extraGateways: { second: { ...limits, replica: true } } });
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

interface Pull {
  gateway: 'first' | 'second';
  sentAt: number;
  response: ApiResponse;
}

it('answers 401 to every pull after a key is revoked, on every gateway replica, while 64 clients pull with it', async () => {
  const operator = await h.bootstrapOperator();
  const m = marketplace(h, operator);
  const brandId = await m.createBrand();
  const supplier = await m.authorisedSupplier(brandId, 'Revocation Supplier');
  const product = await m.createProduct(brandId);
  const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 100 }], STOCK);
  const merchant = await m.fundedMerchant(STOCK * 100, 'Revocation Storefront');
  const order = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: STOCK }], fulfilment: 'stock' }));
  await m.untilDelivered(merchant, order.id);
  const key = await m.apiKey(merchant, 'leaked storefront key');
  const gateways = { first: h.gateway, second: h.gateways.second! };

  const pulls: Pull[] = [];
  let served = 0;
  let revokedAt = Number.POSITIVE_INFINITY;
  let revocation: Promise<ApiResponse> | undefined;
  const client = async (i: number): Promise<void> => {
    const gateway = i % 2 === 0 ? 'first' : 'second';
    while (performance.now() < revokedAt + PULL_ON_MS) {
      const sentAt = performance.now();
      const response = await gateways[gateway].request('POST', `/api/v1/stock/${product.id}/pull`, { apiKey: key.key, headers: { 'Idempotency-Key': randomUUID() } });
      pulls.push({ gateway, sentAt, response });
      if (response.status === 200) served += 1;
      else if (response.status !== 401) throw new Error(`a pull answered ${response.status}: ${response.text.slice(0, 300)}`);
      if (served >= SERVED_BEFORE_REVOCATION && !revocation) {
        revocation = h.gateway.request('DELETE', `/api/v1/identity/api-keys/${key.id}`, { token: merchant.token });
        void revocation.then(() => (revokedAt = performance.now()));
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  expect((await revocation!).status).toBe(200);

  const after = (gateway: Pull['gateway'], from: number): Pull[] => pulls.filter((p) => p.gateway === gateway && p.sentAt >= from);
  // The replica that revoked it forgets the key before it answers; the other hears of it within two seconds.
  const late = [...after('first', revokedAt), ...after('second', revokedAt + ANNOUNCEMENT_MS)];
  expect(late.length).toBeGreaterThan(CLIENTS);
  expect(late.filter((p) => p.response.status !== 401).map((p) => [p.gateway, Math.round(p.sentAt - revokedAt), p.response.status])).toEqual([]);
  expect(new Set(late.map((p) => p.response.body?.code))).toEqual(new Set(['invalid_api_key']));

  // Before it: the key worked through both replicas, and each code went to one pull only.
  const codes = pulls.filter((p) => p.response.status === 200).map((p) => p.response.body.codeId);
  expect(codes.length).toBeGreaterThanOrEqual(SERVED_BEFORE_REVOCATION);
  expect(new Set(codes).size).toBe(codes.length);
  expect(new Set(pulls.filter((p) => p.response.status === 200).map((p) => p.gateway))).toEqual(new Set(['first', 'second']));
}, 240_000);
