import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { created, eventually, expectLedgerConsistent, expectVaultCountsConsistent, marketplace, startSystem, type Account, type ApiResponse, type JsonBody, type Marketplace, type SystemHarness } from '@kami/testing';
import { disputesApi } from './support/dispute-market';

/*
 * A code the buyer gave back stops being the buyer's, through the gateway with every service
 * running: once refunded (a dispute's refund or an operator's refund of the line) it is no longer
 * revealed — not in the order's codes or codes.csv, not on a repeated stock pull (410
 * code_refunded), not disputed again — and once replaced, the order's codes hold the replacement
 * in its place while the dispute keeps which code it replaced.
 */

const UNIT_PRICE = 1_500;

let h: SystemHarness;
let m: Marketplace;
let d: ReturnType<typeof disputesApi>;
let operator: Account;
let supplier: Account;
let productId: string;

const deliveryDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('delivery').query<R>(sql, params);

interface CodeItem {
  codeId: string;
  lineId: string;
  code: string;
  dispute: { id: string; status: string } | null;
  replacesCodeId?: string;
}

async function deliveredOrder(merchant: Account, stock: number, quantity: number, fulfilment: 'codes' | 'stock' = 'codes'): Promise<JsonBody> {
  const offer = await m.offerWithStock(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], stock);
  const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity }], fulfilment }));
  return m.untilDelivered(merchant, placed.id);
}

function codesOf(merchant: Account, orderId: string, path = '/codes?limit=1000'): Promise<ApiResponse> {
  return h.gateway.request('GET', `/api/v1/orders/${orderId}${path}`, { token: merchant.token });
}

async function itemsOf(merchant: Account, orderId: string): Promise<CodeItem[]> {
  const response = await codesOf(merchant, orderId);
  if (response.status !== 200) throw new Error(`GET codes answered ${response.status}: ${response.text}`);
  return response.body.items;
}

async function csvOf(merchant: Account, orderId: string, format = ''): Promise<{ response: ApiResponse; rows: Record<string, string>[] }> {
  const response = await codesOf(merchant, orderId, `/codes.csv${format}`);
  return { response, rows: response.status === 200 ? (parse(response.text, { columns: true }) as Record<string, string>[]) : [] };
}

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

function untilDisputeStatus(account: Account, id: string, status: string): Promise<JsonBody> {
  return eventually(
    () => d.get(account, id).then((r) => r.body),
    (body) => body?.status === status || ['replaced', 'replacement_failed', 'refunded', 'refund_refused', 'rejected'].includes(body?.status),
    { what: `dispute ${id} to be ${status}` },
  );
}

beforeAll(async () => {
  h = await startSystem({
    label: 'withdrawn_codes',
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  d = disputesApi(h);
  const brandId = await m.createBrand();
  supplier = await m.authorisedSupplier(brandId, 'Refund Codes');
  productId = (await m.createProduct(brandId)).id;
}, 180_000);

afterEach(async () => {
  if (!h) return;
  await expectLedgerConsistent((sql, params) => h.service('settlement').query(sql, params));
  await expectVaultCountsConsistent((sql, params) => h.service('vault').query(sql, params));
});

afterAll(async () => {
  await h?.stop();
});

describe('refunded and replaced codes', () => {
  it('shows a replacement in the place of the code it replaced, in the JSON and codes.csv, and the dispute keeps which code it replaced', async () => {
    const merchant = await m.fundedMerchant(100_000);
    const order = await deliveredOrder(merchant, 4, 3);
    const before = await itemsOf(merchant, order.id);
    const disputed = before[1]!;

    const opened = await created(d.open(merchant, { codeId: disputed.codeId, reason: 'code_invalid' }));
    expect((await d.decide(supplier, opened.id, 'replace')).status).toBe(200);
    const replaced = await untilDisputeStatus(merchant, opened.id, 'replaced');
    expect(replaced).toMatchObject({ status: 'replaced', codeId: disputed.codeId, replacementCodeId: expect.any(String) });
    expect(replaced.replacementCodeId).not.toBe(disputed.codeId);

    // Same length, same order; the second place now holds the replacement, which names the code it replaced.
    const after = await codesOf(merchant, order.id);
    expect(after.status).toBe(200);
    const items: CodeItem[] = after.body.items;
    expect(items.map((i) => i.codeId)).toEqual([before[0]!.codeId, replaced.replacementCodeId, before[2]!.codeId]);
    expect(items[1]).toMatchObject({ codeId: replaced.replacementCodeId, lineId: disputed.lineId, dispute: null, replacesCodeId: disputed.codeId });
    expect(after.text).not.toContain(disputed.code);
    const { rows } = await csvOf(merchant, order.id);
    expect(rows.map((r) => r.code_id)).toEqual(items.map((i) => i.codeId));
    expect(rows.map((r) => r.code)).not.toContain(disputed.code);

    // The buyer's dispute list still shows the old code and what replaced it.
    const listed = await d.list(merchant, `?orderId=${order.id}`);
    expect(listed.body.items.map((i: JsonBody) => [i.codeId, i.status, i.replacementCodeId])).toEqual([[disputed.codeId, 'replaced', replaced.replacementCodeId]]);
  });

  it('no longer reveals a code refunded through its dispute: left out of the order codes and codes.csv, 410 code_refunded once none is left, and not disputed again', async () => {
    const merchant = await m.fundedMerchant(100_000);
    const order = await deliveredOrder(merchant, 2, 2);
    const [kept, refundedCode] = await itemsOf(merchant, order.id);

    const opened = await created(d.open(merchant, { codeId: refundedCode!.codeId, reason: 'code_already_redeemed' }));
    expect((await d.decide(supplier, opened.id, 'refund')).status).toBe(200);
    expect(await untilDisputeStatus(merchant, opened.id, 'refunded')).toMatchObject({ status: 'refunded', codeId: refundedCode!.codeId });

    const after = await codesOf(merchant, order.id);
    expect(after.body.items.map((i: CodeItem) => i.codeId)).toEqual([kept!.codeId]);
    expect(after.text).not.toContain(refundedCode!.code);
    for (const format of ['', '?format=raw']) {
      const { response, rows } = await csvOf(merchant, order.id, format);
      expect(response.status).toBe(200);
      expect(rows.map((r) => r.code_id)).toEqual([kept!.codeId]);
      expect(response.text).not.toContain(refundedCode!.code);
    }

    // The other code refunded as well (an operator's decision on its dispute): nothing of the order is the buyer's any more.
    const second = await created(d.open(merchant, { codeId: kept!.codeId, reason: 'code_invalid' }));
    expect((await d.resolve(operator, second.id, 'refund')).status).toBe(200);
    await untilDisputeStatus(merchant, second.id, 'refunded');
    for (const path of ['/codes', '/codes?wait=5', '/codes.csv', '/codes.csv?format=raw']) {
      const response = await codesOf(merchant, order.id, path);
      expectProblem(response, 410, 'code_refunded');
      expect(response.text).not.toContain(kept!.code);
    }
  });

  it("withdraws the line's codes an operator refunds (unrevealed ones first, then the last delivered), and refuses a dispute of a refunded code", async () => {
    const merchant = await m.fundedMerchant(100_000);
    const order = await deliveredOrder(merchant, 3, 3);
    const before = await itemsOf(merchant, order.id);

    const refund = await h.gateway.request('POST', '/api/v1/settlement/refunds', {
      token: operator.token,
      json: { orderId: order.id, lineId: order.lines[0].id, quantity: 1, reason: 'operator_decision' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(refund.status).toBe(201);
    // Every code was revealed (read above): the last one goes.
    const after = await eventually(
      () => itemsOf(merchant, order.id),
      (items) => items.length < before.length,
      { what: `delivery to withdraw the refunded code of order ${order.id}` },
    );
    expect(after.map((i) => i.codeId)).toEqual([before[0]!.codeId, before[1]!.codeId]);
    const { rows } = await csvOf(merchant, order.id);
    expect(rows.map((r) => r.code_id)).toEqual([before[0]!.codeId, before[1]!.codeId]);

    // Refunded once: it cannot be disputed for a second refund or a replacement.
    expectProblem(await d.open(merchant, { codeId: before[2]!.codeId, reason: 'code_invalid' }), 410, 'code_refunded');
  });

  it('answers a repeated stock pull of a code refunded since with 410 code_refunded, and never hands it out again', async () => {
    const merchant = await m.fundedMerchant(100_000);
    const order = await deliveredOrder(merchant, 2, 2, 'stock');
    const key = randomUUID();
    const pull = (k: string): Promise<ApiResponse> => h.gateway.request('POST', `/api/v1/stock/${productId}/pull`, { token: merchant.token, headers: { 'Idempotency-Key': k } });
    const pulled = await pull(key);
    expect(pulled.status).toBe(200);
    expect((await pull(key)).body.code).toBe(pulled.body.code);

    const opened = await created(d.open(merchant, { codeId: pulled.body.codeId, reason: 'code_invalid' }));
    expect((await d.decide(supplier, opened.id, 'refund')).status).toBe(200);
    await untilDisputeStatus(merchant, opened.id, 'refunded');

    const again = await pull(key);
    expectProblem(again, 410, 'code_refunded');
    expect(again.text).not.toContain(pulled.body.code);
    // The stock's other code is still there for a new key.
    const next = await pull(randomUUID());
    expect(next.status).toBe(200);
    expect(next.body.codeId).not.toBe(pulled.body.codeId);
    expect(await deliveryDb(`SELECT count(*)::int AS n FROM delivered_code WHERE order_id = $1`, [order.id])).toEqual([{ n: 2 }]);
  });
});
