import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { eventually, readTopic, startSystem, testKafka, type Account, type ApiResponse, type JsonBody, type SystemHarness } from '@kami/testing';

/*
 * The catalog through the real gateway, with the real catalog service behind it, PostgreSQL and
 * Kafka. Vault does not exist yet: the test plays its part by publishing stock events to
 * vault.stock.v1 in the contract's shape.
 */

const PDF_PROOF = { fileName: 'distribution-agreement.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.7\n% agreement\n').toString('base64') };
const STEAM_FORMAT = { codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){2}', pin: 'none' };

let h: SystemHarness;
let operator: Account;
let supplierA: Account;
let supplierB: Account;
let merchant: Account;
let producer: Producer;
let steam: { id: string; name: string };
let tencent: { id: string; name: string };

function call(account: Account | undefined, method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  return h.gateway.request(method, `/api/v1/catalog${path}`, { token: account?.token, json, headers });
}

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

/** A 400 validation_failed naming exactly these fields. */
function expectInvalidFields(response: ApiResponse, fields: string[]): void {
  expectProblem(response, 400, 'validation_failed');
  expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
}

async function created(response: Promise<ApiResponse>): Promise<JsonBody> {
  const answer = await response;
  if (answer.status !== 201) throw new Error(`expected 201, got ${answer.status}: ${answer.text}`);
  return answer.body;
}

async function createProduct(overrides: Record<string, unknown> = {}): Promise<JsonBody> {
  return created(
    call(operator, 'POST', '/products', {
      name: `Steam Wallet Code CN ¥100 ${randomUUID().slice(0, 6)}`,
      brandId: steam.id,
      categoryCode: 'game-cards.pc',
      faceValue: 10000,
      region: 'CN',
      codeFormat: STEAM_FORMAT,
      ...overrides,
    }),
  );
}

/** The supplier applies for the brand and the operator approves it; returns the authorisation. */
async function authorise(supplier: Account, brandId: string, expiresAt = new Date(Date.now() + 365 * 86400_000).toISOString()): Promise<JsonBody> {
  const application = await created(call(supplier, 'POST', '/brand-authorisations', { brandId, proof: PDF_PROOF }));
  const approved = await call(operator, 'POST', `/brand-authorisations/${application.id}/approve`, { expiresAt });
  expect(approved.status).toBe(200);
  return approved.body;
}

async function createOffer(supplier: Account, productId: string, priceTiers: unknown[], extra: Record<string, unknown> = {}): Promise<JsonBody> {
  return created(call(supplier, 'POST', '/offers', { productId, sku: `SKU-${randomUUID().slice(0, 8)}`, priceTiers, ...extra }));
}

async function activeOffer(supplier: Account, productId: string, priceTiers: unknown[], extra: Record<string, unknown> = {}): Promise<JsonBody> {
  const offer = await createOffer(supplier, productId, priceTiers, extra);
  const activated = await call(supplier, 'POST', `/offers/${offer.id}/activate`);
  expect({ status: activated.status, offerStatus: activated.body?.status }).toEqual({ status: 200, offerStatus: 'active' });
  return activated.body;
}

let stockSequence = 0;
/** Publishes a vault.stock.changed event as vault will; returns the message so a test can replay it. */
async function publishStock(offer: { id: string; supplierId: string }, available: number, options: { sequence?: number; key?: string } = {}): Promise<{ key: string; value: string }> {
  const sequence = options.sequence ?? ++stockSequence;
  const message = {
    key: options.key ?? offer.id,
    value: JSON.stringify({
      id: randomUUID(),
      type: 'vault.stock.changed',
      occurredAt: new Date().toISOString(),
      aggregateId: offer.id,
      payload: { offerId: offer.id, supplierId: offer.supplierId, sequence, available, reserved: 0, sold: 0, voided: 0 },
    }),
  };
  await producer.send({ topic: h.topic('vault.stock.v1'), messages: [message] });
  return message;
}

async function stockOf(account: Account, offerId: string): Promise<number> {
  const response = await call(account, 'GET', `/offers/${offerId}`);
  return response.body?.stock?.available;
}

async function count(table: string): Promise<number> {
  const [row] = await h.service('catalog').query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(row!.n);
}

beforeAll(async () => {
  // No settlement here: offers are not gated on supplier deposits (apps/settlement/test/deposits.e2e-spec.ts covers that gate).
  h = await startSystem({ label: 'catalog', services: ['catalog'], serviceEnv: { catalog: { AUTHORISATION_EXPIRY_INTERVAL_MS: '200', SUPPLIER_DEPOSIT_REQUIRED: 'false' } } });
  operator = await h.bootstrapOperator();
  [supplierA, supplierB, merchant] = await Promise.all([
    h.createAccount(operator.token, 'supplier', '华南卡源 Supplier A'),
    h.createAccount(operator.token, 'supplier', 'Eastern Keys Supplier B'),
    h.createAccount(operator.token, 'merchant'),
  ]);
  steam = await created(call(operator, 'POST', '/brands', { name: `Steam ${randomUUID().slice(0, 6)}` }));
  tencent = await created(call(operator, 'POST', '/brands', { name: `腾讯视频 ${randomUUID().slice(0, 6)}` }));
  producer = (await testKafka('catalog-e2e-vault')).producer();
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await h?.stop();
});

describe('brand authorisation rules', () => {
  it('refuses an offer without an approved authorisation with 403 brand_not_authorised, and stores nothing', async () => {
    const product = await createProduct();
    const before = await count('offer');
    expectProblem(await call(supplierA, 'POST', '/offers', { productId: product.id, sku: 'NO-AUTH-1', priceTiers: [{ minQuantity: 1, unitPrice: 9600 }] }), 403, 'brand_not_authorised');

    // A pending application is not enough, nor is a rejected one.
    const application = await created(call(supplierA, 'POST', '/brand-authorisations', { brandId: steam.id, note: 'agent contract', proof: PDF_PROOF }));
    expect(application).toMatchObject({ status: 'pending', brand: { id: steam.id }, proof: { contentType: 'application/pdf' } });
    expectProblem(await call(supplierA, 'POST', '/brand-authorisations', { brandId: steam.id, proof: PDF_PROOF }), 409, 'brand_authorisation_already_pending');
    expectProblem(await call(supplierA, 'POST', '/offers', { productId: product.id, sku: 'NO-AUTH-2', priceTiers: [{ minQuantity: 1, unitPrice: 9600 }] }), 403, 'brand_not_authorised');
    const rejected = await call(operator, 'POST', `/brand-authorisations/${application.id}/reject`, { reason: 'The contract is for Hong Kong only' });
    expect(rejected.body).toMatchObject({ status: 'rejected', decisionReason: 'The contract is for Hong Kong only' });
    expectProblem(await call(supplierA, 'POST', '/offers', { productId: product.id, sku: 'NO-AUTH-3', priceTiers: [{ minQuantity: 1, unitPrice: 9600 }] }), 403, 'brand_not_authorised');
    expect(await count('offer')).toBe(before);

    // Suppliers cannot approve themselves; the proof is downloadable by its owner and operators.
    const second = await created(call(supplierA, 'POST', '/brand-authorisations', { brandId: steam.id, proof: PDF_PROOF }));
    expectProblem(await call(supplierA, 'POST', `/brand-authorisations/${second.id}/approve`, { expiresAt: new Date(Date.now() + 86400_000).toISOString() }), 403, 'forbidden_organisation_type');
    const proof = await call(operator, 'GET', `/brand-authorisations/${second.id}/proof`);
    expect({ status: proof.status, type: proof.contentType, body: proof.text }).toEqual({ status: 200, type: 'application/pdf', body: '%PDF-1.7\n% agreement\n' });
    expectProblem(await call(operator, 'POST', `/brand-authorisations/${second.id}/approve`, { expiresAt: new Date(Date.now() - 1000).toISOString() }), 400, 'validation_failed');
    expect((await call(operator, 'POST', `/brand-authorisations/${second.id}/approve`, { expiresAt: new Date(Date.now() + 86400_000).toISOString() })).body.status).toBe('approved');

    const offer = await createOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 9600 }]);
    expect(offer).toMatchObject({ status: 'draft', supplier: { id: supplierA.organisationId }, currency: 'CNY' });
  });

  it('revoking an authorisation pauses the supplier’s active offers of the brand, emits their events, and blocks reactivation', async () => {
    const product = await createProduct();
    const authorisation = await authorise(supplierB, steam.id);
    const first = await activeOffer(supplierB, product.id, [{ minQuantity: 1, unitPrice: 9700 }]);
    const second = await activeOffer(supplierB, (await createProduct()).id, [{ minQuantity: 1, unitPrice: 9800 }]);
    expect((await call(merchant, 'GET', `/offers/${first.id}`)).status).toBe(200);

    const revoked = await call(operator, 'POST', `/brand-authorisations/${authorisation.id}/revoke`, { reason: 'Brand owner withdrew the licence' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    expect([...revoked.body.pausedOfferIds].sort()).toEqual([first.id, second.id].sort());

    for (const offer of [first, second]) {
      expect((await call(supplierB, 'GET', `/offers/${offer.id}`)).body).toMatchObject({ status: 'paused', pausedReason: 'brand_authorisation_revoked' });
      expectProblem(await call(merchant, 'GET', `/offers/${offer.id}`), 404, 'offer_not_found');
    }
    expectProblem(await call(supplierB, 'POST', `/offers/${first.id}/activate`), 403, 'brand_not_authorised');

    const kafka = await testKafka('catalog-e2e-probe');
    const events = await eventually(
      async () => (await readTopic(kafka, h.topic('catalog.offer.v1'))).map((m) => JSON.parse(m.value!.toString())).filter((e) => [first.id, second.id].includes(e.aggregateId)),
      (found) => found.filter((e) => e.payload.change === 'paused').length === 2,
      { what: 'paused events for both offers on catalog.offer.v1' },
    );
    const paused = events.filter((e) => e.payload.change === 'paused');
    expect(paused.map((e) => e.payload)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ offerId: first.id, status: 'paused', pausedReason: 'brand_authorisation_revoked', supplierId: supplierB.organisationId }),
        expect.objectContaining({ offerId: second.id, status: 'paused', pausedReason: 'brand_authorisation_revoked' }),
      ]),
    );
    // Versions only grow: created (1) → activated (2) → paused (3).
    expect(paused.map((e) => e.payload.version)).toEqual([3, 3]);
  });

  it('an authorisation that expires pauses the offers it covered', async () => {
    const product = await createProduct({ brandId: tencent.id, categoryCode: 'memberships.video', name: `腾讯视频 VIP 月卡 ${randomUUID().slice(0, 4)}`, faceValue: 3000 });
    await authorise(supplierA, tencent.id, new Date(Date.now() + 3000).toISOString());
    const offer = await activeOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 2500 }]);
    const paused = await eventually(
      () => call(supplierA, 'GET', `/offers/${offer.id}`),
      (r) => r.body?.status === 'paused',
      { what: 'the offer to be paused after the authorisation expired', timeoutMs: 20_000 },
    );
    expect(paused.body.pausedReason).toBe('brand_authorisation_expired');
    const list = await call(supplierA, 'GET', `/brand-authorisations?brandId=${tencent.id}&status=expired`);
    expect(list.body.items).toHaveLength(1);
  });
  it('moving a product to another brand pauses the offers of suppliers not authorised for it; its currency is fixed once offered', async () => {
    const [authorisedForBoth] = await Promise.all([authorise(supplierA, steam.id), authorise(supplierA, tencent.id), authorise(supplierB, steam.id)]);
    expect(authorisedForBoth.status).toBe('approved');
    const product = await createProduct();
    const offerA = await activeOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 9600 }]);
    const offerB = await activeOffer(supplierB, product.id, [{ minQuantity: 1, unitPrice: 9500 }]);

    expectProblem(await call(operator, 'PATCH', `/products/${product.id}`, { currency: 'USD' }), 409, 'product_has_offers');
    const moved = await call(operator, 'PATCH', `/products/${product.id}`, { brandId: tencent.id });
    expect(moved.body.brand.id).toBe(tencent.id);

    expect((await call(supplierA, 'GET', `/offers/${offerA.id}`)).body.status).toBe('active');
    expect((await call(supplierB, 'GET', `/offers/${offerB.id}`)).body).toMatchObject({ status: 'paused', pausedReason: 'product_brand_changed' });
    expectProblem(await call(supplierB, 'POST', `/offers/${offerB.id}/activate`), 403, 'brand_not_authorised');
    expect((await call(operator, 'GET', `/products/${product.id}`)).body.currency).toBe('CNY');
  });
});

describe('supplier isolation', () => {
  it('a supplier can neither read nor change another supplier’s offer or authorisation', async () => {
    const authorisation = await authorise(supplierA, steam.id);
    const product = await createProduct();
    const offer = await activeOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 9600 }]);

    expectProblem(await call(supplierB, 'GET', `/offers/${offer.id}`), 404, 'offer_not_found');
    expectProblem(await call(supplierB, 'PATCH', `/offers/${offer.id}`, { priceTiers: [{ minQuantity: 1, unitPrice: 1 }] }), 404, 'offer_not_found');
    for (const action of ['activate', 'pause', 'delist']) expectProblem(await call(supplierB, 'POST', `/offers/${offer.id}/${action}`), 404, 'offer_not_found');
    expectProblem(await call(supplierB, 'GET', `/brand-authorisations/${authorisation.id}`), 404, 'brand_authorisation_not_found');
    expectProblem(await call(supplierB, 'GET', `/brand-authorisations/${authorisation.id}/proof`), 404, 'brand_authorisation_not_found');

    const listed = await call(supplierB, 'GET', `/offers?productId=${product.id}`);
    expect(listed.body.items).toEqual([]);
    const compared = await call(supplierB, 'GET', `/products/${product.id}/offers?quantity=1`);
    expect(compared.body.offers).toEqual([]);
    expect((await call(supplierB, 'GET', '/brand-authorisations')).body.items.every((a: JsonBody) => a.supplierId === supplierB.organisationId)).toBe(true);

    // Unchanged for its owner, still on sale for merchants; merchants cannot list offers.
    expect((await call(supplierA, 'GET', `/offers/${offer.id}`)).body).toMatchObject({ status: 'active', version: 2, priceTiers: [{ minQuantity: 1, unitPrice: 9600 }] });
    expect((await call(merchant, 'GET', `/offers?productId=${product.id}`)).body.items.map((o: JsonBody) => o.id)).toEqual([offer.id]);
    expectProblem(await call(merchant, 'POST', '/offers', { productId: product.id, sku: 'MERCHANT', priceTiers: [{ minQuantity: 1, unitPrice: 1 }] }), 403, 'forbidden_organisation_type');
  });

  it('merchants see only active offers; operators see all', async () => {
    await authorise(supplierA, steam.id);
    const product = await createProduct();
    const draft = await createOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 9600 }]);
    expectProblem(await call(merchant, 'GET', `/offers/${draft.id}`), 404, 'offer_not_found');
    expect((await call(operator, 'GET', `/offers/${draft.id}`)).body.status).toBe('draft');
    const listed = await call(merchant, 'GET', `/offers?productId=${product.id}&status=draft`);
    expect(listed.body.items).toEqual([]);
  });
});

describe('stock from vault’s stock events', () => {
  it('follows the newest count; a replayed or older event changes nothing', async () => {
    await authorise(supplierA, steam.id);
    const product = await createProduct();
    const offer = await activeOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 9600 }], { lowStockThreshold: 50 });
    const other = await activeOffer(supplierA, (await createProduct()).id, [{ minQuantity: 1, unitPrice: 9600 }]);
    const ref = { id: offer.id, supplierId: supplierA.organisationId };

    const first = await publishStock(ref, 100);
    await eventually(() => stockOf(merchant, offer.id), (n) => n === 100, { what: 'stock 100' });
    const secondSequence = ++stockSequence;
    const second = await publishStock(ref, 40, { sequence: secondSequence });
    await eventually(() => stockOf(merchant, offer.id), (n) => n === 40, { what: 'stock 40' });
    expect((await call(merchant, 'GET', `/offers/${offer.id}`)).body.stock).toMatchObject({ available: 40, low: true });

    // Redeliver both events as they were, and an older count under a new event id, then a marker
    // on the same partition (same key): once the marker is applied, everything before it was handled.
    await producer.send({ topic: h.topic('vault.stock.v1'), messages: [second, first] });
    await publishStock(ref, 100, { sequence: secondSequence - 1 });
    await publishStock({ id: other.id, supplierId: supplierA.organisationId }, 7, { key: offer.id });
    await eventually(() => stockOf(merchant, other.id), (n) => n === 7, { what: 'the marker event' });
    expect(await stockOf(merchant, offer.id)).toBe(40);

    // A stock event naming the wrong supplier for the offer is ignored.
    await publishStock({ id: offer.id, supplierId: supplierB.organisationId }, 999);
    await publishStock({ id: other.id, supplierId: supplierA.organisationId }, 8, { key: offer.id });
    await eventually(() => stockOf(merchant, other.id), (n) => n === 8, { what: 'the second marker event' });
    expect(await stockOf(merchant, offer.id)).toBe(40);
  });
});

describe('price comparison', () => {
  it('orders offers by the tier price at the asked quantity and proposes a split when no offer has enough', async () => {
    await Promise.all([authorise(supplierA, steam.id), authorise(supplierB, steam.id)]);
    const product = await createProduct();
    // A is dearer for small orders but cheaper from 1000 up.
    const a = await activeOffer(supplierA, product.id, [
      { minQuantity: 1, unitPrice: 9600 },
      { minQuantity: 100, unitPrice: 9500 },
      { minQuantity: 1000, unitPrice: 9300 },
    ]);
    const b = await activeOffer(supplierB, product.id, [
      { minQuantity: 1, unitPrice: 9550 },
      { minQuantity: 1000, unitPrice: 9450 },
    ]);
    await publishStock({ id: a.id, supplierId: supplierA.organisationId }, 2000);
    await publishStock({ id: b.id, supplierId: supplierB.organisationId }, 2000);
    await eventually(async () => [await stockOf(merchant, a.id), await stockOf(merchant, b.id)], ([x, y]) => x === 2000 && y === 2000, { what: 'stock of both offers' });

    const small = (await call(merchant, 'GET', `/products/${product.id}/offers?quantity=10`)).body;
    expect(small.offers.map((o: JsonBody) => [o.offerId, o.unitPrice, o.total])).toEqual([
      [b.id, 9550, 95_500],
      [a.id, 9600, 96_000],
    ]);
    expect(small.split).toBeNull();

    const bulk = (await call(merchant, 'GET', `/products/${product.id}/offers?quantity=1000`)).body;
    expect(bulk.offers.map((o: JsonBody) => [o.offerId, o.unitPrice, o.total])).toEqual([
      [a.id, 9300, 9_300_000],
      [b.id, 9450, 9_450_000],
    ]);
    // Suppliers' names come from the gateway's organisation events.
    const names = await eventually(
      async () => (await call(merchant, 'GET', `/products/${product.id}/offers?quantity=1000`)).body.offers.map((o: JsonBody) => o.supplier.name),
      (n: (string | null)[]) => n.every((name) => name !== null),
      { what: 'supplier names from gateway.organisation.v1' },
    );
    expect(names).toEqual(['华南卡源 Supplier A', 'Eastern Keys Supplier B']);

    const split = (await call(merchant, 'GET', `/products/${product.id}/offers?quantity=3000`)).body;
    expect(split.offers).toEqual([]);
    expect(split.split).toMatchObject({
      quantity: 3000,
      shortfall: 0,
      total: 2000 * 9300 + 1000 * 9450,
      lines: [
        { offerId: a.id, quantity: 2000, unitPrice: 9300, total: 18_600_000 },
        { offerId: b.id, quantity: 1000, unitPrice: 9450, total: 9_450_000 },
      ],
    });
    const short = (await call(merchant, 'GET', `/products/${product.id}/offers?quantity=5000`)).body;
    expect(short.split).toMatchObject({ quantity: 4000, shortfall: 1000 });

    expectInvalidFields(await call(merchant, 'GET', `/products/${product.id}/offers?quantity=0`), ['quantity']);
    expectInvalidFields(await call(merchant, 'GET', `/products/${product.id}/offers?quantity=1.5`), ['quantity']);
  });
});

describe('bad input', () => {
  it('gets 400 problem+json naming the field, and nothing is stored', async () => {
    const product = await createProduct();
    await authorise(supplierA, steam.id);
    const tables = ['product', 'offer', 'brand', 'category', 'platform_outbox'];
    const before = await Promise.all(tables.map(count));

    const productBody = { name: 'Windows 11 Pro key', brandId: steam.id, categoryCode: 'software-licences.os', faceValue: 150000, region: 'GLOBAL', codeFormat: { codePattern: '[A-Z0-9-]{29}', pin: 'none' } };
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, categoryCode: 'weapons' }), ['categoryCode']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, codeFormat: { codePattern: '[A-Z0-9', pin: 'none' } }), ['codeFormat.codePattern']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, codeFormat: { codePattern: '\\d{16}', pin: 'required', pinPattern: '(\\d{8}' } }), ['codeFormat.pinPattern']);
    // Patterns run on RE2 (linear time): one that closes the anchoring group, or needs backtracking, is refused.
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, codeFormat: { codePattern: 'x)|(?:', pin: 'none' } }), ['codeFormat.codePattern']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, codeFormat: { codePattern: '(\\d)\\1{15}', pin: 'required', pinPattern: '(?=\\d{8})\\w+' } }), [
      'codeFormat.codePattern',
      'codeFormat.pinPattern',
    ]);
    expectInvalidFields(await call(operator, 'PATCH', `/products/${product.id}`, { codeFormat: { codePattern: 'x)|(?:', pin: 'none' } }), ['codeFormat.codePattern']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, faceValue: -100 }), ['faceValue']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, faceValue: 99.5 }), ['faceValue']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, brandId: randomUUID() }), ['brandId']);
    expectInvalidFields(await call(operator, 'POST', '/products', { ...productBody, colour: 'red' }), ['colour']);
    expectInvalidFields(await call(operator, 'PATCH', `/products/${product.id}`, { categoryCode: 'nope' }), ['categoryCode']);

    const offerBody = { productId: product.id, sku: 'BAD-INPUT' };
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [{ minQuantity: 1, unitPrice: -9600 }] }), ['priceTiers.0.unitPrice']);
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [{ minQuantity: 1, unitPrice: 95.5 }] }), ['priceTiers.0.unitPrice']);
    expectInvalidFields(
      await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 1000, unitPrice: 9400 }, { minQuantity: 100, unitPrice: 9300 }] }),
      ['priceTiers.2.minQuantity'],
    );
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 1, unitPrice: 9500 }] }), ['priceTiers.1.minQuantity']);
    // Face value is ¥100.00 (10000 fen).
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [{ minQuantity: 1, unitPrice: 10_100 }] }), ['priceTiers.0.unitPrice']);
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, productId: randomUUID(), priceTiers: [{ minQuantity: 1, unitPrice: 9600 }] }), ['productId']);
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [{ minQuantity: 1, unitPrice: 9600 }], minOrderQuantity: 10, maxOrderQuantity: 5 }), ['maxOrderQuantity']);
    expectInvalidFields(await call(supplierA, 'POST', '/offers', { ...offerBody, priceTiers: [] }), ['priceTiers']);

    expect(await Promise.all(tables.map(count))).toEqual(before);

    // With the explicit flag, a price above face value is accepted (scarce cards sell at a premium).
    const premium = await createOffer(supplierA, product.id, [{ minQuantity: 1, unitPrice: 10_100 }], { allowAboveFaceValue: true });
    expect(premium.priceTiers).toEqual([{ minQuantity: 1, unitPrice: 10_100 }]);
    expectInvalidFields(await call(supplierA, 'PATCH', `/offers/${premium.id}`, { allowAboveFaceValue: false }), ['priceTiers.0.unitPrice']);
  });
});

describe('products and search', () => {
  it('a supplier’s proposal waits for an operator before merchants see it', async () => {
    const proposal = await created(call(supplierA, 'POST', '/products', { name: 'Windows 11 Pro Retail Key', brandId: steam.id, categoryCode: 'software-licences.os', faceValue: 150_000, region: 'GLOBAL', codeFormat: { codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){4}', pin: 'none' } }));
    expect(proposal).toMatchObject({ status: 'proposed', proposedBy: supplierA.organisationId });
    expectProblem(await call(merchant, 'GET', `/products/${proposal.id}`), 404, 'product_not_found');
    expectProblem(await call(supplierB, 'GET', `/products/${proposal.id}`), 404, 'product_not_found');
    expectProblem(await call(supplierA, 'POST', `/products/${proposal.id}/approve`, {}), 403, 'forbidden_organisation_type');
    expect((await call(operator, 'POST', `/products/${proposal.id}/approve`, { note: 'ok' })).body.status).toBe('active');
    expect((await call(merchant, 'GET', `/products/${proposal.id}`)).body.status).toBe('active');
  });

  it('finds products by Chinese and Latin text, category subtree, face value and region, page by page', async () => {
    const tag = randomUUID().slice(0, 6);
    const names = [`腾讯视频 VIP 年卡 ${tag} A`, `腾讯视频 VIP 季卡 ${tag} B`, `腾讯视频 VIP 月卡 ${tag} C`];
    for (const [i, name] of names.entries()) {
      await createProduct({ name, brandId: tencent.id, categoryCode: 'memberships.video', faceValue: [25_800, 6_800, 2_500][i], region: 'CN', codeFormat: { codePattern: '\\d{12}', pin: 'required', pinPattern: '\\d{6}' } });
    }
    const first = await call(merchant, 'GET', `/products?q=${encodeURIComponent(`视频 vip 年卡 ${tag}`)}`);
    expect(first.body.items.map((p: JsonBody) => p.name)).toEqual([names[0]]);

    const page1 = await call(merchant, 'GET', `/products?q=${tag}&category=memberships&limit=2`);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await call(merchant, 'GET', `/products?q=${tag}&category=memberships&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.nextCursor).toBeNull();
    expect([...page1.body.items, ...page2.body.items].map((p: JsonBody) => p.name).sort()).toEqual([...names].sort());

    expect((await call(merchant, 'GET', `/products?q=${tag}&category=game-cards`)).body.items).toEqual([]);
    expect((await call(merchant, 'GET', `/products?q=${tag}&faceValue=6800`)).body.items.map((p: JsonBody) => p.name)).toEqual([names[1]]);
    expect((await call(merchant, 'GET', `/products?q=${tag}&faceValueMax=7000&region=CN`)).body.items).toHaveLength(2);
    expect((await call(merchant, 'GET', `/products?q=${tag}&region=HK`)).body.items).toEqual([]);
    expectProblem(await call(merchant, 'GET', `/products?cursor=not-a-cursor`), 400, 'invalid_cursor');
  });

  it('lists the category tree with Chinese names', async () => {
    const tree = (await call(merchant, 'GET', '/categories')).body;
    expect(tree.map((c: JsonBody) => c.code)).toEqual(['game-cards', 'gift-cards', 'software-licences', 'memberships', 'courses', 'phone-topup']);
    expect(tree.find((c: JsonBody) => c.code === 'phone-topup').children.map((c: JsonBody) => c.nameZh)).toEqual(['中国移动', '中国联通', '中国电信']);
  });
});

describe('retries', () => {
  it('the same Idempotency-Key creates one offer and answers the same', async () => {
    await authorise(supplierA, steam.id);
    const product = await createProduct();
    const key = `offer-${randomUUID()}`;
    const body = { productId: product.id, sku: `IDEM-${key.slice(-6)}`, priceTiers: [{ minQuantity: 1, unitPrice: 9600 }] };
    const [one, two] = [await call(supplierA, 'POST', '/offers', body, { 'idempotency-key': key }), await call(supplierA, 'POST', '/offers', body, { 'idempotency-key': key })];
    expect([one.status, two.status]).toEqual([201, 201]);
    expect(two.body.id).toBe(one.body.id);
    expect((await call(supplierA, 'GET', `/offers?productId=${product.id}`)).body.items).toHaveLength(1);
  });
});
