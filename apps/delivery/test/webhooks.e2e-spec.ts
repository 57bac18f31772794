import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { created, eventually, marketplace, startSystem, type Account, type ApiResponse, type JsonBody, type Marketplace, type SystemHarness } from '@kami/testing';

/*
 * Webhooks for real: every service running (PostgreSQL, Redis, Kafka), orders placed through the
 * gateway, and receivers that are real HTTP servers in this test process. The receivers check the
 * Standard Webhooks signature themselves (HMAC-SHA256 over "id.timestamp.body", keyed with the
 * secret shown at creation), as a merchant's shop would. Delivery runs with private URLs allowed
 * (the receivers listen on 127.0.0.1) and a short retry window; the URL guard that refuses
 * 127.0.0.1 otherwise is covered by src/webhooks/url-guard.spec.ts.
 */

// Each scenario builds its own merchants, offers and orders through the whole saga.
jest.setTimeout(120_000);

const UNIT_PRICE = 1_000;
const RETRY_WINDOW_SECONDS = 6;
const TIMEOUT_MS = 800;

let h: SystemHarness;
let m: Marketplace;
let operator: Account;
let supplier: Account;
let productId: string;
const uploaded: string[] = [];
const receivers: Receiver[] = [];

interface Call {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number | 'hung';
}

type Behaviour = (callNumber: number) => number | 'hang';

/** A merchant's webhook receiver: records every call, answers as `behaviour` says (a status, or never). */
class Receiver {
  readonly calls: Call[] = [];
  behaviour: Behaviour = () => 204;
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = this.behaviour(this.calls.length + 1);
      this.calls.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered: answer === 'hang' ? 'hung' : answer });
      if (answer !== 'hang') response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 300 ? 'nope' : '');
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    receivers.push(this);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/kami-hooks`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The receiver's check, from the Standard Webhooks spec: any `v1,<sig>` of the header matches the HMAC. */
function signatureValid(call: Call, secret: string): boolean {
  const id = String(call.headers['webhook-id']);
  const timestamp = String(call.headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${call.body}`).digest();
  return String(call.headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

const webhooks = (account: Account, method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse> =>
  h.gateway.request(method, `/api/v1/webhooks${path}`, { token: account.token, json, headers });

async function endpoint(account: Account, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const response = await created(webhooks(account, 'POST', '/endpoints', body));
  return { id: response.id, secret: response.secret };
}

/** The delivery as its owner sees it, once `done` holds. */
function ownerSees(account: Account, deliveryId: string, done: (d: JsonBody) => boolean, what: string): Promise<JsonBody> {
  return eventually(() => webhooks(account, 'GET', `/deliveries/${deliveryId}`).then((r) => r.body), done, { what, timeoutMs: 30_000 });
}

/** The owner's deliveries of one endpoint (one page). */
async function deliveriesOf(account: Account, endpointId: string): Promise<JsonBody[]> {
  const response = await webhooks(account, 'GET', `/deliveries?endpointId=${endpointId}&limit=100`);
  if (response.status !== 200) throw new Error(`GET deliveries answered ${response.status}: ${response.text}`);
  return response.body.items;
}

/** Calls the receiver got for this order, parsed. */
const bodiesFor = (receiver: Receiver, orderId: string): JsonBody[] =>
  receiver.calls.map((c) => JSON.parse(c.body) as JsonBody).filter((b) => b.data?.orderId === orderId);

async function deliveredOrder(merchant: Account, quantity: number): Promise<{ order: JsonBody; codes: string[] }> {
  const { offer, codes } = await m.offerWithCodes(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], quantity);
  uploaded.push(...codes);
  const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity }] }));
  return { order: await m.untilDelivered(merchant, placed.id), codes };
}

beforeAll(async () => {
  h = await startSystem({
    label: 'webhooks',
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    serviceEnv: {
      delivery: {
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
        WEBHOOK_RETRY_BASE_MS: '100',
        WEBHOOK_RETRY_MAX_DELAY_MS: '400',
        WEBHOOK_RETRY_WINDOW_SECONDS: String(RETRY_WINDOW_SECONDS),
        WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_DISPATCH_INTERVAL_MS: '100',
      },
    },
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  const brandId = await m.createBrand();
  supplier = await m.authorisedSupplier(brandId, 'Hooked Codes');
  productId = (await m.createProduct(brandId)).id;
}, 180_000);

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await h?.stop();
});

describe('webhook endpoints', () => {
  it('answers the secret once (creation, or a retry with the same Idempotency-Key), never on reads, and validates what it stores', async () => {
    const merchant = await h.createAccount(operator.token, 'merchant', 'Endpoint Owner');
    const receiver = await new Receiver().start();
    const key = randomUUID();
    const body = { url: receiver.url, events: ['order.delivered'], description: 'shop' };
    const first = await webhooks(merchant, 'POST', '/endpoints', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ url: receiver.url, events: ['order.delivered'], includeCodes: false, enabled: true, description: 'shop' });
    expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(first.headers.get('cache-control')).toBe('no-store');

    const retried = await webhooks(merchant, 'POST', '/endpoints', body, { 'Idempotency-Key': key });
    expect([retried.status, retried.body.id, retried.body.secret, retried.headers.get('idempotent-replayed')]).toEqual([201, first.body.id, first.body.secret, 'true']);
    const reused = await webhooks(merchant, 'POST', '/endpoints', { ...body, description: 'other' }, { 'Idempotency-Key': key });
    expect([reused.status, reused.body.code]).toEqual([422, 'idempotency_key_reused']);

    const read = await webhooks(merchant, 'GET', `/endpoints/${first.body.id}`);
    const list = await webhooks(merchant, 'GET', '/endpoints');
    expect(read.status).toBe(200);
    expect(list.body.items.map((e: JsonBody) => e.id)).toEqual([first.body.id]);
    for (const text of [read.text, list.text]) expect(text).not.toContain(first.body.secret.slice(6));

    const patched = await webhooks(merchant, 'PATCH', `/endpoints/${first.body.id}`, { events: ['order.placed', 'order.cancelled'], enabled: false, includeCodes: true });
    expect(patched.body).toMatchObject({ events: ['order.placed', 'order.cancelled'], enabled: false, includeCodes: true });

    const invalid = await webhooks(merchant, 'POST', '/endpoints', { url: receiver.url, events: ['order.exploded'] });
    expect([invalid.status, invalid.body.code]).toEqual([400, 'validation_failed']);
    const badScheme = await webhooks(merchant, 'POST', '/endpoints', { url: 'ftp://127.0.0.1/x', events: ['order.delivered'] });
    expect([badScheme.status, badScheme.body.code]).toEqual([422, 'webhook_url_not_allowed']);
    const supplierTries = await webhooks(supplier, 'POST', '/endpoints', body);
    expect(supplierTries.status).toBe(403);

    expect((await webhooks(merchant, 'DELETE', `/endpoints/${first.body.id}`)).status).toBe(204);
    expect((await webhooks(merchant, 'GET', `/endpoints/${first.body.id}`)).body.code).toBe('webhook_endpoint_not_found');
  });
});

describe('webhook deliveries', () => {
  let owner: Account;
  let hook: { id: string; secret: string };
  let receiver: Receiver;
  let orderId: string;
  let deliveryId: string;

  it('retries a receiver that fails three times, delivers on the fourth, same webhook-id and a valid signature each time, all four in the attempt log', async () => {
    owner = await m.fundedMerchant(20_000, 'Flaky Shop');
    receiver = await new Receiver().start();
    receiver.behaviour = (n) => (n <= 3 ? 500 : 200);
    hook = await endpoint(owner, { url: receiver.url, events: ['order.delivered'] });

    const { order } = await deliveredOrder(owner, 2);
    orderId = order.id;
    const [delivery] = await eventually(
      () => deliveriesOf(owner, hook.id),
      (items) => items.length === 1 && items[0].status === 'delivered',
      { what: 'the webhook to be delivered', timeoutMs: 30_000 },
    );
    deliveryId = delivery.id;

    expect(receiver.calls.map((c) => c.answered)).toEqual([500, 500, 500, 200]);
    expect(new Set(receiver.calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([deliveryId]));
    for (const call of receiver.calls) {
      expect(signatureValid(call, hook.secret)).toBe(true);
      expect(Math.abs(Number(call.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(call.headers['content-type']).toBe('application/json');
    }
    // A forged body, or another secret, does not verify.
    expect(signatureValid({ ...receiver.calls[3]!, body: receiver.calls[3]!.body.replace('delivered', 'cancelled') }, hook.secret)).toBe(false);

    const body = JSON.parse(receiver.calls[3]!.body);
    const soldIds = await h.service('vault').query<{ id: string }>(
      `SELECT c.id::text AS id FROM code c JOIN reservation r ON r.id = c.reservation_id WHERE r.order_id = $1 AND c.status = 'allocated' ORDER BY c.id`,
      [orderId],
    );
    expect(body).toMatchObject({ type: 'order.delivered', data: { orderId, status: 'delivered', fulfilment: 'codes' } });
    expect(body.data.revision).toBeGreaterThanOrEqual(1);
    expect(body.data.lines.map((l: JsonBody) => [l.lineId, l.productId])).toEqual(order.lines.map((l: JsonBody) => [l.id, productId]));
    expect(body.data.lines.flatMap((l: JsonBody) => l.codeIds).sort()).toEqual(soldIds.map((r) => r.id).sort());
    expect(body.data.lines[0]).not.toHaveProperty('codes');

    const detail = (await webhooks(owner, 'GET', `/deliveries/${deliveryId}`)).body;
    expect(detail).toMatchObject({ id: deliveryId, endpointId: hook.id, eventType: 'order.delivered', orderId, status: 'delivered', attempts: 4, round: 1 });
    expect(detail.attemptLog.map((a: JsonBody) => [a.attempt, a.round, a.statusCode, a.succeeded])).toEqual([
      [1, 1, 500, false],
      [2, 1, 500, false],
      [3, 1, 500, false],
      [4, 1, 200, true],
    ]);
    for (const attempt of detail.attemptLog) expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('after a secret rotation signs with the new and, for a grace period, the previous secret; a replay keeps the webhook-id', async () => {
    const rotated = await webhooks(owner, 'POST', `/endpoints/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    const replay = await webhooks(owner, 'POST', `/deliveries/${deliveryId}/replay`);
    expect([replay.status, replay.body.status, replay.body.round]).toEqual([202, 'pending', 2]);
    await ownerSees(owner, deliveryId, (d) => d.status === 'delivered' && d.round === 2, 'the replay to be delivered');
    const call = receiver.calls.at(-1)!;
    expect(receiver.calls).toHaveLength(5);
    expect(call.headers['webhook-id']).toBe(deliveryId);
    expect(String(call.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect([signatureValid(call, rotated.body.secret), signatureValid(call, hook.secret)]).toEqual([true, true]);
  });

  it('abandons a receiver that never answers after the retry window (failed), and a replay delivers once it answers', async () => {
    const merchant = await m.fundedMerchant(20_000, 'Silent Shop');
    const silent = await new Receiver().start();
    silent.behaviour = () => 'hang';
    const hook = await endpoint(merchant, { url: silent.url, events: ['order.delivered'] });
    const { order } = await deliveredOrder(merchant, 1);

    const [pending] = await eventually(() => deliveriesOf(merchant, hook.id), (items) => items.length === 1, { what: 'the webhook delivery to exist' });
    const failed = await ownerSees(merchant, pending.id, (d) => d.status === 'failed', 'the webhook to be abandoned');
    const log = failed.attemptLog as JsonBody[];
    expect(log.length).toBeGreaterThanOrEqual(2);
    expect(log.every((a) => a.statusCode === null && !a.succeeded && /no answer within/.test(a.error))).toBe(true);
    // Bounded: the last attempt started no later than the window after the first (plus one timeout and a dispatch tick).
    const span = Date.parse(log.at(-1).attemptedAt) - Date.parse(log[0].attemptedAt);
    expect(span).toBeLessThanOrEqual(RETRY_WINDOW_SECONDS * 1000 + TIMEOUT_MS + 500);
    expect(failed).toMatchObject({ orderId: order.id, failedAt: expect.any(String), deliveredAt: null, lastStatusCode: null, nextAttemptAt: null });
    const callsWhenFailed = silent.calls.length;
    expect(callsWhenFailed).toBe(log.length);

    silent.behaviour = () => 200;
    expect((await webhooks(merchant, 'POST', `/deliveries/${pending.id}/replay`)).status).toBe(202);
    const delivered = await ownerSees(merchant, pending.id, (d) => d.status === 'delivered', 'the replayed webhook to be delivered');
    expect(delivered.attemptLog.at(-1)).toMatchObject({ round: 2, statusCode: 200, succeeded: true });
    expect(silent.calls.slice(callsWhenFailed).map((c) => c.answered)).toEqual([200]);
    expect(new Set(silent.calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([pending.id]));
    expect(signatureValid(silent.calls.at(-1)!, hook.secret)).toBe(true);
    const delivereds = await deliveriesOf(merchant, hook.id);
    expect((await webhooks(merchant, 'GET', `/deliveries?endpointId=${hook.id}&status=failed`)).body.items).toEqual([]);
    expect(delivereds.map((d) => d.status)).toEqual(['delivered']);
  });

  it('carries plaintext codes only to an includeCodes endpoint; order ids, code ids and an increasing revision to every subscriber', async () => {
    const merchant = await m.fundedMerchant(20_000, 'Storefront');
    const [withCodes, idsOnly] = [await new Receiver().start(), await new Receiver().start()];
    const full = await endpoint(merchant, { url: withCodes.url, events: ['order.placed', 'order.delivered', 'order.cancelled'], includeCodes: true });
    await endpoint(merchant, { url: idsOnly.url, events: ['order.delivered'] });

    const { order, codes } = await deliveredOrder(merchant, 3);
    const [withCodesBody] = await eventually(
      async () => bodiesFor(withCodes, order.id).filter((b) => b.type === 'order.delivered'),
      (bodies) => bodies.length === 1,
      { what: 'the includeCodes endpoint to get order.delivered' },
    );
    const [idsOnlyBody] = await eventually(async () => bodiesFor(idsOnly, order.id), (bodies) => bodies.length === 1, { what: 'the ids-only endpoint to get order.delivered' });

    const line = withCodesBody.data.lines[0];
    expect(line.codes.map((c: JsonBody) => c.codeId)).toEqual(line.codeIds);
    expect(line.codes.map((c: JsonBody) => c.code).sort()).toEqual(codes.slice().sort());
    expect(idsOnlyBody.data.lines[0].codeIds.slice().sort()).toEqual(line.codeIds.slice().sort());
    expect(idsOnlyBody.data.lines[0]).not.toHaveProperty('codes');
    expect(idsOnly.calls[0]!.body).not.toMatch(new RegExp(codes.join('|')));
    expect(signatureValid(withCodes.calls.find((c) => c.body === JSON.stringify(withCodesBody))!, full.secret)).toBe(true);

    // The vault revealed them for the webhook: the ledger notes each code's first reveal and its channel.
    await eventually(
      () => h.service('delivery').query<{ channel: string | null }>(`SELECT DISTINCT first_reveal_channel AS channel FROM delivered_code WHERE order_id = $1`, [order.id]),
      (rows) => rows.length === 1 && rows[0]!.channel === 'webhook',
      { what: 'the first reveal noted with channel webhook' },
    );

    // order.placed (when delivery learnt of it before the delivery) has a lower revision than order.delivered.
    const placed = bodiesFor(withCodes, order.id).filter((b) => b.type === 'order.placed');
    for (const p of placed) expect(p.data.revision).toBeLessThan(withCodesBody.data.revision);

    // Plaintext is never stored with the delivery or its attempts, and never logged.
    const stored = await h.service('delivery').query<{ text: string }>(
      `SELECT d.payload::text || coalesce(string_agg(a.error, ' '), '') AS text FROM webhook_delivery d LEFT JOIN webhook_attempt a ON a.delivery_id = d.id WHERE d.order_id = $1 GROUP BY d.id`,
      [order.id],
    );
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.filter((row) => codes.some((code) => row.text.includes(code)))).toEqual([]);
    const logs = h.service('delivery').process.output();
    expect(uploaded.filter((code) => logs.includes(code))).toEqual([]);
    expect(logs).not.toContain(full.secret.slice(6));
  });

  it('alerts a stock.low subscriber when a pull leaves the purchased stock below its threshold, once per crossing, signed, and nobody else', async () => {
    const merchant = await m.fundedMerchant(20_000, 'Auto Shop');
    const [alerts, ordersOnly] = [await new Receiver().start(), await new Receiver().start()];
    const hook = await endpoint(merchant, { url: alerts.url, events: ['stock.low'] });
    await endpoint(merchant, { url: ordersOnly.url, events: ['order.delivered'] });

    const { offer } = await m.offerWithCodes(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], 4);
    const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 4 }], fulfilment: 'stock' }));
    await m.untilDelivered(merchant, placed.id);
    const stock = (method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse> =>
      h.gateway.request(method, `/api/v1/stock/${productId}${path}`, { token: merchant.token, json, headers });
    expect((await stock('PUT', '/settings', { lowStockThreshold: 3 })).status).toBe(200);

    // 4 → 3 → 2: the second pull crosses below 3; the third (2 → 1) is the same crossing.
    for (let i = 0; i < 3; i++) expect((await stock('POST', '/pull', undefined, { 'Idempotency-Key': randomUUID() })).status).toBe(200);
    const [call] = await eventually(async () => alerts.calls, (calls) => calls.length === 1, { what: 'the stock.low webhook' });
    expect(JSON.parse(call!.body)).toEqual({ type: 'stock.low', timestamp: expect.any(String), data: { productId, available: 2, threshold: 3 } });
    expect(signatureValid(call!, hook.secret)).toBe(true);
    const [delivery] = await eventually(() => deliveriesOf(merchant, hook.id), (d) => d.length === 1 && d[0]!.status === 'delivered', { what: 'the alert delivered' });
    expect(delivery).toMatchObject({ eventType: 'stock.low', orderId: null, id: call!.headers['webhook-id'] });
    // The order-only endpoint heard of the stock order's delivery, never of the alert.
    expect(ordersOnly.calls.map((c) => JSON.parse(c.body).type)).not.toContain('stock.low');
    expect(alerts.calls).toHaveLength(1);
  });

  it('tells order.placed then order.cancelled with revisions 1 and 2', async () => {
    // Never topped up: ordering knows no balance and places the order; settlement cannot charge it.
    const merchant = await h.createAccount(operator.token, 'merchant', 'Broke Shop');
    await eventually(
      () => h.gateway.request('GET', '/api/v1/settlement/wallet', { token: merchant.token }),
      (r) => r.status === 200 && (r.body.balances as { currency: string }[]).some((b) => b.currency === 'CNY'),
      { what: 'settlement to open the wallet' },
    );
    const receiver = await new Receiver().start();
    await endpoint(merchant, { url: receiver.url, events: ['order.placed', 'order.cancelled'] });
    const { offer, codes } = await m.offerWithCodes(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], 2);
    uploaded.push(...codes);
    const order = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 2 }] }));

    const bodies = await eventually(async () => bodiesFor(receiver, order.id), (b) => b.length === 2, { what: 'placed and cancelled webhooks', timeoutMs: 60_000 });
    const byRevision = bodies.sort((a, b) => a.data.revision - b.data.revision);
    expect(byRevision.map((b) => [b.type, b.data.status, b.data.revision])).toEqual([
      ['order.placed', 'placed', 1],
      ['order.cancelled', 'cancelled', 2],
    ]);
    expect(byRevision[1].data).toMatchObject({ reason: 'insufficient_balance', lines: [] });
    expect(byRevision[0].data.lines).toEqual([{ lineId: order.lines[0].id, productId, quantity: 2, codeIds: [] }]);
  });

  it("keeps one organisation's endpoints and deliveries from another: 404, and nothing leaks", async () => {
    const stranger = await h.createAccount(operator.token, 'merchant', 'Curious Shop');
    const attempts: ApiResponse[] = [
      await webhooks(stranger, 'GET', `/endpoints/${hook.id}`),
      await webhooks(stranger, 'PATCH', `/endpoints/${hook.id}`, { url: 'http://127.0.0.1:9/steal' }),
      await webhooks(stranger, 'POST', `/endpoints/${hook.id}/rotate-secret`),
      await webhooks(stranger, 'DELETE', `/endpoints/${hook.id}`),
      await webhooks(stranger, 'GET', `/deliveries/${deliveryId}`),
      await webhooks(stranger, 'POST', `/deliveries/${deliveryId}/replay`),
    ];
    expect(attempts.map((r) => [r.status, r.body.code])).toEqual([
      [404, 'webhook_endpoint_not_found'],
      [404, 'webhook_endpoint_not_found'],
      [404, 'webhook_endpoint_not_found'],
      [404, 'webhook_endpoint_not_found'],
      [404, 'webhook_delivery_not_found'],
      [404, 'webhook_delivery_not_found'],
    ]);
    const lists = [await webhooks(stranger, 'GET', '/endpoints'), await webhooks(stranger, 'GET', `/deliveries?endpointId=${hook.id}`), await webhooks(stranger, 'GET', '/deliveries')];
    expect(lists.map((r) => [r.status, r.body.items])).toEqual([
      [200, []],
      [200, []],
      [200, []],
    ]);
    for (const response of [...attempts, ...lists]) {
      for (const secretThing of [receiver.url, orderId, hook.secret.slice(6)]) expect(response.text).not.toContain(secretThing);
    }
    // The owner's endpoint is untouched.
    expect((await webhooks(owner, 'GET', `/endpoints/${hook.id}`)).body).toMatchObject({ url: receiver.url, enabled: true });
  });
});
