import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import {
  created,
  eventually,
  marketplace,
  readTopic,
  signIdentityHeader,
  signServiceToken,
  startSystem,
  testKafka,
  type Account,
  type ApiResponse,
  type JsonBody,
  type Marketplace,
  type SystemHarness,
} from '@kami/testing';

/*
 * Purchased stock through the gateway with every service running for real (PostgreSQL, Redis,
 * Kafka): a merchant buys codes into its stock (fulfilment: stock), its storefront pulls them one
 * by one with Idempotency-Keys (a new key a new code, a retried key the same one), other merchants
 * see none of it, a low-stock alert goes out once per crossing, and an auto-restock rule has
 * ordering place the order that refills the stock.
 */

const UNIT_PRICE = 100;

let h: SystemHarness;
let m: Marketplace;
let kafka: Kafka;
let operator: Account;
let supplier: Account;
let brandId: string;

const deliveryDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('delivery').query<R>(sql, params);

type Caller = { token: string } | { apiKey: string };

const stock = (caller: Caller, method: string, path = '', json?: unknown): Promise<ApiResponse> => h.gateway.request(method, `/api/v1/stock${path}`, { ...caller, json });
const pull = (caller: Caller, productId: string, key: string): Promise<ApiResponse> =>
  h.gateway.request('POST', `/api/v1/stock/${productId}/pull`, { ...caller, headers: { 'Idempotency-Key': key } });

/** A product with one offer of `codes` codes; returns the product id, the offer id and the plaintext uploaded. */
async function productWithOffer(codes: number): Promise<{ productId: string; offerId: string; codes: string[] }> {
  const product = await m.createProduct(brandId);
  const { offer, codes: plaintext } = await m.offerWithCodes(supplier, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], codes);
  return { productId: product.id, offerId: offer.id, codes: plaintext };
}

/** The merchant buys `quantity` codes of the offer into its purchased stock, delivered. */
async function buyIntoStock(merchant: Account, offerId: string, quantity: number): Promise<JsonBody> {
  const placed = await created(m.placeOrder(merchant, { lines: [{ offerId, quantity }], fulfilment: 'stock' }));
  return m.untilDelivered(merchant, placed.id);
}

async function level(caller: Caller, productId: string): Promise<JsonBody> {
  const response = await stock(caller, 'GET', `/${productId}`);
  if (response.status !== 200) throw new Error(`GET /stock/${productId} answered ${response.status}: ${response.text}`);
  return response.body;
}

/** delivery.stock.low events of the buyer's product, from the topic. */
async function lowEvents(buyerId: string, productId: string): Promise<JsonBody[]> {
  return (await readTopic(kafka, h.topic('delivery.stock.v1')))
    .map((message) => JSON.parse(message.value!.toString('utf8')) as JsonBody)
    .filter((e) => e.type === 'delivery.stock.low' && e.payload.buyerId === buyerId && e.payload.productId === productId);
}

beforeAll(async () => {
  h = await startSystem({
    label: 'stock',
    // 200 pulls at once from one key and address: the limiter has its own tests.
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    serviceEnv: { vault: { STOCK_EVENT_INTERVAL_MS: '100' } },
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  brandId = await m.createBrand();
  supplier = await m.authorisedSupplier(brandId);
  kafka = await testKafka('delivery-stock-e2e');
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

describe('pull from purchased stock', () => {
  let productId: string;
  let uploaded: string[];
  let merchant: Account;
  let storefront: { apiKey: string };
  const keys = Array.from({ length: 100 }, () => randomUUID());
  let first: ApiResponse[];

  beforeAll(async () => {
    const offer = await productWithOffer(80);
    productId = offer.productId;
    uploaded = offer.codes;
    // 80 codes here, 3 more in the isolation test.
    merchant = await m.fundedMerchant(83 * UNIT_PRICE);
    await buyIntoStock(merchant, offer.offerId, 80);
    storefront = { apiKey: (await m.apiKey(merchant)).key };
  }, 120_000);

  it('100 concurrent pulls of 80 codes: 80 distinct uploaded codes and 20 stock_exhausted; the same keys again answer the same', async () => {
    expect((await level(storefront, productId)).available).toBe(80);

    first = await Promise.all(keys.map((key) => pull(storefront, productId, key)));
    const served = first.filter((r) => r.status === 200);
    const refused = first.filter((r) => r.status !== 200);
    expect(served).toHaveLength(80);
    expect(refused.map((r) => [r.status, r.contentType.split(';')[0], r.body.code])).toEqual(Array.from({ length: 20 }, () => [409, 'application/problem+json', 'stock_exhausted']));
    expect(new Set(served.map((r) => r.body.codeId)).size).toBe(80);
    expect(served.map((r) => r.body.code).sort()).toEqual([...uploaded].sort());
    for (const r of served) {
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toEqual({ codeId: expect.any(String), productId, code: expect.any(String), expiresAt: null });
    }

    const again = await Promise.all(keys.map((key) => pull(storefront, productId, key)));
    expect(again.map((r) => [r.status, r.body.code, r.body.codeId])).toEqual(first.map((r) => [r.status, r.body.code, r.body.codeId]));

    // The ledger: every code of the stock handed out once, through a pull.
    const ledger = await deliveryDb<{ channel: string; n: number }>(
      `SELECT first_reveal_channel AS channel, count(*)::int AS n FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 GROUP BY 1`,
      [merchant.organisationId, productId],
    );
    expect(ledger).toEqual([{ channel: 'stock_pull', n: 80 }]);
    expect(await level(merchant, productId)).toEqual({ productId, available: 0, lowStockThreshold: null, low: false, lowSince: null, autoRestock: false });
  }, 120_000);

  it('a refused key stays refused, and a key is bound to its product', async () => {
    const refusedKey = keys[first.findIndex((r) => r.status === 409)]!;
    const servedKey = keys[first.findIndex((r) => r.status === 200)]!;
    expect((await pull(storefront, productId, refusedKey)).body.code).toBe('stock_exhausted');
    const other = await m.createProduct(brandId);
    const reused = await pull(storefront, other.id, servedKey);
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);
    const missing = await h.gateway.request('POST', `/api/v1/stock/${productId}/pull`, storefront);
    expect([missing.status, missing.body.code]).toEqual([400, 'idempotency_key_required']);
  });

  it('another merchant pulls only its own (empty) stock and sees nothing of the first one', async () => {
    const offer = await productWithOffer(3);
    await buyIntoStock(merchant, offer.offerId, 3);
    const rule = await stock(merchant, 'PUT', `/${offer.productId}/restock-rule`, { belowQuantity: 1, orderQuantity: 1, maxUnitPrice: UNIT_PRICE });
    expect(rule.status).toBe(200);
    expect((await stock(merchant, 'PUT', `/${offer.productId}/settings`, { lowStockThreshold: 2 })).status).toBe(200);

    const rival = await h.createAccount(operator.token, 'merchant');
    const rivalKey = { apiKey: (await m.apiKey(rival)).key };
    // Even with the first merchant's own keys: keys are the caller's.
    const pulls = await Promise.all([pull(rivalKey, offer.productId, randomUUID()), pull(rivalKey, offer.productId, keys[0]!), pull(rival, productId, randomUUID())]);
    expect(pulls.map((r) => [r.status, r.body.code])).toEqual(Array.from({ length: 3 }, () => [409, 'stock_exhausted']));

    expect((await stock(rival, 'GET')).body).toEqual({ items: [], nextCursor: null });
    expect(await level(rival, offer.productId)).toEqual({ productId: offer.productId, available: 0, lowStockThreshold: null, low: false, lowSince: null, autoRestock: false });
    const rivalRule = await stock(rival, 'GET', `/${offer.productId}/restock-rule`);
    expect([rivalRule.status, rivalRule.body.code]).toEqual([404, 'restock_rule_not_found']);
    expect((await stock(rival, 'DELETE', `/${offer.productId}/restock-rule`)).status).toBe(404);

    // The owner's view is untouched: its 3 codes, its threshold, its rule.
    expect(await level(merchant, offer.productId)).toMatchObject({ available: 3, lowStockThreshold: 2, low: false, autoRestock: true });
    expect((await stock(merchant, 'GET', `/${offer.productId}/restock-rule`)).body).toMatchObject({ belowQuantity: 1, orderQuantity: 1, lastRequest: null });
    const mine = (await stock(merchant, 'GET')).body.items.map((l: JsonBody) => [l.productId, l.available]);
    expect(mine.sort()).toEqual([[productId, 0], [offer.productId, 3]].sort());

    const supplierPull = await pull(supplier, offer.productId, randomUUID());
    expect([supplierPull.status, supplierPull.body.code]).toEqual([403, 'forbidden_organisation_type']);
  }, 120_000);
});

describe('pulls that reach the gateway together (grouped into one request to delivery)', () => {
  it('answers each as if it came alone: its own caller, key, product and problem document', async () => {
    const offer = await productWithOffer(4);
    const merchant = await m.fundedMerchant(4 * UNIT_PRICE);
    await buyIntoStock(merchant, offer.offerId, 4);
    const storefront = { apiKey: (await m.apiKey(merchant)).key };
    const rival = { apiKey: (await m.apiKey(await h.createAccount(operator.token, 'merchant'))).key };
    const raw = (caller: Caller, path: string, headers: Record<string, string>): Promise<ApiResponse> => h.gateway.request('POST', path, { ...caller, headers });
    const path = `/api/v1/stock/${offer.productId}/pull`;

    const [served, rivals, supplierPull, noKey, blankKey, unknownProduct, notAUuid] = await Promise.all([
      Promise.all(Array.from({ length: 4 }, () => pull(storefront, offer.productId, randomUUID()))),
      Promise.all(Array.from({ length: 3 }, () => pull(rival, offer.productId, randomUUID()))),
      pull(supplier, offer.productId, randomUUID()),
      raw(storefront, path, {}),
      raw(storefront, path, { 'Idempotency-Key': '""' }),
      pull(storefront, randomUUID(), randomUUID()),
      pull(storefront, 'not-a-uuid', randomUUID()),
    ]);

    expect(served.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(served.map((r) => r.body.code).sort()).toEqual([...offer.codes].sort());
    for (const r of served) {
      expect(r.contentType).toBe('application/json; charset=utf-8');
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.body).toEqual({ codeId: expect.any(String), productId: offer.productId, code: expect.any(String), expiresAt: null });
    }
    // The rival merchant's stock of the product is its own: empty.
    expect(rivals.map((r) => [r.status, r.body.code])).toEqual(Array.from({ length: 3 }, () => [409, 'stock_exhausted']));
    const refusals = [supplierPull, noKey, blankKey, unknownProduct, notAUuid];
    expect(refusals.map((r) => [r.status, r.body.code])).toEqual([
      [403, 'forbidden_organisation_type'],
      [400, 'idempotency_key_required'],
      [400, 'invalid_idempotency_key'],
      [409, 'stock_exhausted'],
      [400, 'bad_request'],
    ]);
    for (const r of [...rivals, ...refusals]) {
      expect(r.contentType).toBe('application/problem+json');
      // Each problem names its own request: the id the client got, and the path it asked.
      expect(r.body.requestId).toBe(r.headers.get('x-request-id'));
      expect(r.body.instance).toMatch(/^\/api\/v1\/stock\/[^/]+\/pull$/);
    }
    expect(new Set(refusals.map((r) => r.body.requestId)).size).toBe(refusals.length);
  }, 120_000);

  it('the same new key in batches that race (two gateways): one code, taken once, the same answer to both', async () => {
    const offer = await productWithOffer(3);
    const merchant = await m.fundedMerchant(3 * UNIT_PRICE);
    await buyIntoStock(merchant, offer.offerId, 3);
    const identity = { organisationId: merchant.organisationId, organisationType: 'merchant', principalType: 'api_key', principalId: randomUUID(), roles: [] };
    const key = randomUUID();
    const batch = (): Promise<ApiResponse> => {
      // Each batch its own pulls around the shared key, so the bodies (and tokens) differ.
      const body = JSON.stringify({ pulls: [{ identity, productId: offer.productId, idempotencyKey: key }, { identity, productId: randomUUID(), idempotencyKey: randomUUID() }] });
      const token = signServiceToken('gateway', 'delivery', { method: 'POST', path: '/internal/v1/stock-pull-batches', body }, h.secrets.gatewayIdentity.privateKey);
      return h.service('delivery').request('POST', '/internal/v1/stock-pull-batches', { headers: { 'x-kami-service': token }, rawJson: body });
    };
    const answers = await Promise.all(Array.from({ length: 8 }, batch));
    const first = answers.map((a) => a.body.pulls[0]);
    expect(first.map((p: JsonBody) => p.status)).toEqual(Array.from({ length: 8 }, () => 200));
    expect(new Set(first.map((p: JsonBody) => p.body.codeId)).size).toBe(1);
    // One code left the stock, and it is the one the key holds: none locked and lost on the way.
    expect((await level(merchant, offer.productId)).available).toBe(2);
    const revealed = await deliveryDb<{ code_id: string }>(`SELECT code_id::text FROM delivered_code WHERE buyer_id = $1 AND product_id = $2 AND first_revealed_at IS NOT NULL`, [
      merchant.organisationId,
      offer.productId,
    ]);
    expect(revealed).toEqual([{ code_id: first[0].body.codeId }]);
  }, 120_000);

  it('delivery takes a batch only from the gateway, signed for it, once', async () => {
    const delivery = h.service('delivery');
    const merchant = await h.createAccount(operator.token, 'merchant');
    const body = JSON.stringify({
      pulls: [
        {
          identity: { organisationId: merchant.organisationId, organisationType: 'merchant', principalType: 'api_key', principalId: randomUUID(), roles: [] },
          productId: randomUUID(),
          idempotencyKey: randomUUID(),
        },
      ],
    });
    const request = { method: 'POST', path: '/internal/v1/stock-pull-batches', body };
    const send = (headers: Record<string, string>): Promise<ApiResponse> => delivery.request('POST', request.path, { headers, rawJson: body });
    const gatewayToken = signServiceToken('gateway', 'delivery', request, h.secrets.gatewayIdentity.privateKey);

    const answered = await send({ 'x-kami-service': gatewayToken });
    expect([answered.status, answered.body.pulls]).toEqual([200, [{ status: 409, problem: expect.objectContaining({ code: 'stock_exhausted' }) }]]);
    const refused = await Promise.all([
      send({}),
      // The same genuine token again.
      send({ 'x-kami-service': gatewayToken }),
      // The gateway's token for another service, and the merchant's own identity header.
      send({ 'x-kami-service': signServiceToken('gateway', 'vault', request, h.secrets.gatewayIdentity.privateKey) }),
      send({
        'x-kami-identity': signIdentityHeader(
          { organisationId: merchant.organisationId, organisationType: 'merchant', principalType: 'user', principalId: randomUUID(), roles: ['admin'] },
          'delivery',
          request,
          h.secrets.gatewayIdentity.privateKey,
        ),
      }),
      // Delivery's own key (it signs its calls to the vault with it) names the gateway in vain.
      send({ 'x-kami-service': signServiceToken('gateway', 'delivery', request, h.secrets.serviceKeys.delivery.privateKey) }),
    ]);
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array.from({ length: 5 }, () => [401, 'service_unauthenticated']));
    // Not routed by the gateway, whoever asks.
    expect((await h.gateway.request('POST', request.path, { token: merchant.token, rawJson: body })).status).toBe(404);
  });
});

describe('low-stock alerts and auto-restock', () => {
  it('alerts once per crossing, and the rule orders stock that arrives and re-arms the alert', async () => {
    const offer = await productWithOffer(30);
    const merchant = await m.fundedMerchant(30 * UNIT_PRICE);
    const storefront = { apiKey: (await m.apiKey(merchant)).key };
    await buyIntoStock(merchant, offer.offerId, 6);
    expect((await stock(merchant, 'PUT', `/${offer.productId}/settings`, { lowStockThreshold: 4 })).body).toMatchObject({ available: 6, lowStockThreshold: 4, low: false });
    const ruleSet = await stock(merchant, 'PUT', `/${offer.productId}/restock-rule`, { belowQuantity: 3, orderQuantity: 5, maxUnitPrice: 2 * UNIT_PRICE });
    expect(ruleSet.body).toMatchObject({ productId: offer.productId, belowQuantity: 3, orderQuantity: 5, maxUnitPrice: 2 * UNIT_PRICE, lastRequest: null });

    // 6 → 3: below 4, the alert; not below 3, no restock yet.
    for (let i = 0; i < 3; i++) expect((await pull(storefront, offer.productId, randomUUID())).status).toBe(200);
    expect(await level(merchant, offer.productId)).toMatchObject({ available: 3, low: true, lowSince: expect.any(String) });
    expect((await stock(merchant, 'GET', '?low=true')).body.items.map((l: JsonBody) => l.productId)).toEqual([offer.productId]);
    expect((await stock(merchant, 'GET', `/${offer.productId}/restock-rule`)).body.lastRequest).toBeNull();

    // 3 → 2: below 3, the restock order; the alert is already raised.
    expect((await pull(storefront, offer.productId, randomUUID())).status).toBe(200);
    const rule = await eventually(
      () => stock(merchant, 'GET', `/${offer.productId}/restock-rule`).then((r) => r.body),
      (r) => r.lastRequest !== null && r.lastRequest.status !== 'requested',
      { what: 'ordering to answer the restock request' },
    );
    expect(rule.lastRequest).toMatchObject({ quantity: 5, maxUnitPrice: 2 * UNIT_PRICE, status: expect.stringMatching(/^(placed|delivered)$/), orderId: expect.any(String) });
    const requestId = rule.lastRequest.requestId as string;

    const found = await h.gateway.request('GET', `/api/v1/orders?externalRef=${encodeURIComponent(`restock:${requestId}`)}`, { token: merchant.token });
    expect(found.body.items).toHaveLength(1);
    const order = found.body.items[0];
    expect(order).toMatchObject({ id: rule.lastRequest.orderId, buyerId: merchant.organisationId, fulfilment: 'stock', externalRef: `restock:${requestId}` });
    expect(order.lines.map((l: JsonBody) => [l.productId, l.quantity, l.unitPrice])).toEqual([[offer.productId, 5, UNIT_PRICE]]);
    await m.untilDelivered(merchant, order.id);

    // 2 + 5 = 7 codes, at or above the threshold again: the alert is re-armed, the request closed.
    await eventually(() => level(merchant, offer.productId), (l) => l.available === 7 && l.lowSince === null, { what: 'the restocked codes in stock and the alert re-armed' });
    await eventually(
      () => stock(merchant, 'GET', `/${offer.productId}/restock-rule`).then((r) => r.body.lastRequest),
      (r) => r.status === 'delivered',
      { what: 'the restock request to be delivered' },
    );
    expect(await lowEvents(merchant.organisationId, offer.productId)).toHaveLength(1);

    // 7 → 3 crosses again: one more alert (and no restock: 3 is not below 3).
    for (let i = 0; i < 4; i++) expect((await pull(storefront, offer.productId, randomUUID())).status).toBe(200);
    const events = await eventually(() => lowEvents(merchant.organisationId, offer.productId), (e) => e.length >= 2, { what: 'the second delivery.stock.low' });
    expect(events.map((e) => [e.aggregateId, e.payload.available, e.payload.threshold])).toEqual([
      [merchant.organisationId, 3, 4],
      [merchant.organisationId, 3, 4],
    ]);
    const orders = await h.gateway.request('GET', `/api/v1/orders?productId=${offer.productId}`, { token: merchant.token });
    expect(orders.body.items).toHaveLength(2);
  }, 180_000);

  it('a restock the rule cannot afford is refused and recorded, nothing ordered; the next waits (backoff) until the rule changes', async () => {
    const offer = await productWithOffer(5);
    const merchant = await m.fundedMerchant(2 * UNIT_PRICE);
    await buyIntoStock(merchant, offer.offerId, 2);
    const restockRule = (): Promise<JsonBody> => stock(merchant, 'GET', `/${offer.productId}/restock-rule`).then((r) => r.body);
    await stock(merchant, 'PUT', `/${offer.productId}/restock-rule`, { belowQuantity: 2, orderQuantity: 3, maxUnitPrice: UNIT_PRICE - 1 });
    expect((await pull(merchant, offer.productId, randomUUID())).status).toBe(200);
    const rule = await eventually(restockRule, (r) => r.lastRequest?.status === 'refused', { what: 'the restock request refused' });
    expect(rule.lastRequest).toMatchObject({ status: 'refused', refusalCode: 'price_above_limit', orderId: null });
    // The default wait after one refusal is a minute.
    expect(Date.parse(rule.retryAfter) - Date.parse(rule.lastRequest.updatedAt)).toBe(60_000);

    // Still below the rule's 2, but within the wait: the pull asks for nothing (the request is
    // written in the pull's own transaction, so it would show at once).
    expect((await pull(merchant, offer.productId, randomUUID())).status).toBe(200);
    expect(await restockRule()).toMatchObject({ lastRequest: { requestId: rule.lastRequest.requestId }, retryAfter: rule.retryAfter });

    // The merchant raises the price limit: the wait is over, and the next pull (of an empty stock) asks
    // again. The wallet is empty now, so ordering refuses it for the balance, and the wait starts over.
    const changed = await stock(merchant, 'PUT', `/${offer.productId}/restock-rule`, { belowQuantity: 2, orderQuantity: 3, maxUnitPrice: UNIT_PRICE });
    expect(changed.body.retryAfter).toBeNull();
    expect((await pull(merchant, offer.productId, randomUUID())).body.code).toBe('stock_exhausted');
    const again = await eventually(restockRule, (r) => r.lastRequest?.requestId !== rule.lastRequest.requestId && r.lastRequest?.status === 'refused', {
      what: 'the second restock request refused',
    });
    expect(again.lastRequest).toMatchObject({ refusalCode: 'insufficient_balance', orderId: null });
    expect(again.retryAfter).not.toBeNull();
    expect((await pull(merchant, offer.productId, randomUUID())).body.code).toBe('stock_exhausted');
    expect((await restockRule()).lastRequest.requestId).toBe(again.lastRequest.requestId);
    // Only the merchant's own purchase is an order: the refusals ordered nothing.
    expect((await h.gateway.request('GET', `/api/v1/orders?productId=${offer.productId}`, { token: merchant.token })).body.items).toHaveLength(1);
  }, 120_000);
});
