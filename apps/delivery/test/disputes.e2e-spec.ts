import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { created, eventually, expectLedgerConsistent, expectVaultCountsConsistent, marketplace, readTopic, startSystem, testKafka, type Account, type ApiResponse, type JsonBody, type Marketplace, type SystemHarness } from '@kami/testing';
import { disputesApi } from './support/dispute-market';

/*
 * Disputes for real, through the gateway, with every service running (PostgreSQL, Redis, Kafka):
 * the buyer disputes a delivered code, the supplier replaces it from its stock (the vault sells
 * the buyer another code, which the buyer reads in the disputed code's place) or refunds it
 * (settlement, after the escrow was released, from the supplier), contests it and an operator
 * decides. A supplier is charged once per code, never both replacing and refunding it. After
 * every scenario the ledger balances and the vault's counts agree with its codes.
 */

const UNIT_PRICE = 2_000;
// Short, so the window test can see it close; long enough for the others to dispute right after delivery.
const DELIVERY_DISPUTE_WINDOW_SECONDS = 8;

let h: SystemHarness;
let m: Marketplace;
let d: ReturnType<typeof disputesApi>;
let kafka: Kafka;
let operator: Account;
let supplier: Account;
let productId: string;
/** The replace scenario's buyer and dispute, which the isolation test tries to reach from outside. */
let firstBuyer: Account;
let firstDispute: JsonBody;

const deliveryDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('delivery').query<R>(sql, params);
const vaultDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('vault').query<R>(sql, params);
const settlementDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('settlement').query<R>(sql, params);

interface CodeItem {
  codeId: string;
  lineId: string;
  code: string;
}

/** A new offer of the product with `stock` codes and a delivered order of `quantity` of them; the codes as the buyer reads them. */
async function deliveredOrder(merchant: Account, stock: number, quantity: number): Promise<{ offer: JsonBody; uploaded: string[]; order: JsonBody; codes: CodeItem[] }> {
  const { offer, codes: uploaded } = await m.offerWithCodes(supplier, productId, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], stock);
  const placed = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity }] }));
  const order = await m.untilDelivered(merchant, placed.id);
  return { offer, uploaded, order, codes: await orderCodes(merchant, order.id) };
}

async function orderCodes(merchant: Account, orderId: string): Promise<CodeItem[]> {
  const response = await h.gateway.request('GET', `/api/v1/orders/${orderId}/codes?limit=1000`, { token: merchant.token });
  if (response.status !== 200) throw new Error(`GET codes answered ${response.status}: ${response.text}`);
  return response.body.items;
}

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

/** Polls the dispute (as `account` sees it) until it reaches `status` or another status it may end in. */
function untilStatus(account: Account, id: string, status: string): Promise<JsonBody> {
  const settled = ['replaced', 'replacement_failed', 'refunded', 'refund_refused', 'rejected'];
  return eventually(
    () => d.get(account, id).then((r) => r.body),
    (body) => body?.status === status || settled.includes(body?.status),
    { what: `dispute ${id} to be ${status}` },
  );
}

function transitionsOf(dispute: JsonBody): [string | null, string, string][] {
  return (dispute.transitions as { from: string | null; to: string; actor: string }[]).map((t) => [t.from, t.to, t.actor]);
}

async function envelopesOf(topic: string, aggregateId: string): Promise<{ id: string; type: string; payload: JsonBody }[]> {
  return (await readTopic(kafka, h.topic(topic))).map((msg) => JSON.parse(msg.value!.toString('utf8'))).filter((e) => e.aggregateId === aggregateId);
}

/** The order's refund ledger transactions' entries, as [account kind, amount], by kind. */
async function refundEntries(orderId: string): Promise<{ kind: string; entries: [string, number][] }[]> {
  const rows = await settlementDb<{ id: string; tx_kind: string; kind: string; amount: string }>(
    `SELECT t.id::text, t.kind AS tx_kind, a.kind, e.amount::text FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id JOIN ledger_account a ON a.id = e.account_id
      WHERE t.reference = $1 AND t.kind LIKE 'refund%' ORDER BY t.id, a.kind`,
    [orderId],
  );
  const byTx = new Map<string, { kind: string; entries: [string, number][] }>();
  for (const r of rows) {
    const tx = byTx.get(r.id) ?? { kind: r.tx_kind, entries: [] };
    tx.entries.push([r.kind, Number(r.amount)]);
    byTx.set(r.id, tx);
  }
  return [...byTx.values()];
}

beforeAll(async () => {
  h = await startSystem({
    label: 'disputes',
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    serviceEnv: {
      delivery: { DISPUTE_WINDOW_SECONDS: String(DELIVERY_DISPUTE_WINDOW_SECONDS) },
      // Escrow goes to the supplier a second after the sale: refunds then come from the supplier's payable.
      settlement: { DISPUTE_WINDOW_SECONDS: '1', ESCROW_RELEASE_INTERVAL_MS: '200' },
    },
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  d = disputesApi(h);
  const brandId = await m.createBrand();
  supplier = await m.authorisedSupplier(brandId, 'Codes Direct');
  productId = (await m.createProduct(brandId)).id;
  kafka = await testKafka('delivery-disputes-e2e');
}, 180_000);

afterEach(async () => {
  if (!h) return;
  await expectLedgerConsistent(settlementDb);
  await expectVaultCountsConsistent(vaultDb);
});

afterAll(async () => {
  await h?.stop();
});

describe('disputes', () => {
  it('replaces a disputed code from the supplier’s stock: the buyer reads the new code in its place, nothing is charged, and it cannot also be refunded', async () => {
    firstBuyer = await m.fundedMerchant(100_000, 'Replace Buyer');
    const { offer, uploaded, order, codes } = await deliveredOrder(firstBuyer, 3, 2);
    expect(codes).toHaveLength(2);
    const disputed = codes[0]!;

    // The buyer opens it; the same Idempotency-Key answers the same dispute, another key 409.
    const body = { codeId: disputed.codeId, reason: 'code_invalid', evidence: 'The game store says the code is not valid.', attachments: [{ fileName: 'error.png', contentType: 'image/png', size: 2048 }] };
    const key = randomUUID();
    const opened = await d.open(firstBuyer, body, key);
    expect(opened.status).toBe(201);
    firstDispute = opened.body;
    expect(firstDispute).toMatchObject({
      codeId: disputed.codeId,
      orderId: order.id,
      lineId: order.lines[0].id,
      offerId: offer.id,
      supplierId: supplier.organisationId,
      buyerId: firstBuyer.organisationId,
      reason: 'code_invalid',
      status: 'open',
      attachments: body.attachments,
    });
    expect(transitionsOf(firstDispute)).toEqual([[null, 'open', 'buyer']]);
    expect((await d.open(firstBuyer, body, key)).body.id).toBe(firstDispute.id);
    const again = await d.open(firstBuyer, body);
    expectProblem(again, 409, 'code_already_disputed');
    expect(again.body.disputeId).toBe(firstDispute.id);
    // Frozen: purchased stock never hands out a disputed code.
    expect(await deliveryDb(`SELECT frozen_at IS NOT NULL AS frozen FROM delivered_code WHERE code_id = $1`, [disputed.codeId])).toEqual([{ frozen: true }]);

    // The supplier sees it, without the buyer.
    const listed = await d.list(supplier, `?orderId=${order.id}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((i: JsonBody) => [i.id, i.status])).toEqual([[firstDispute.id, 'open']]);
    expect(listed.text).not.toContain(firstBuyer.organisationId);
    expect((await d.get(supplier, firstDispute.id)).text).not.toContain(firstBuyer.organisationId);

    // It replaces; a double click changes nothing twice.
    const replace = await d.decide(supplier, firstDispute.id, 'replace');
    expect(replace.status).toBe(200);
    expect(['replacing', 'replaced']).toContain(replace.body.status);
    expect((await d.decide(supplier, firstDispute.id, 'replace')).status).toBe(200);
    const replaced = await untilStatus(firstBuyer, firstDispute.id, 'replaced');
    expect(replaced).toMatchObject({ status: 'replaced', decision: 'replace', replacementCodeId: expect.any(String), resolvedAt: expect.any(String) });
    expect(transitionsOf(replaced)).toEqual([
      [null, 'open', 'buyer'],
      ['open', 'replacing', 'supplier'],
      ['replacing', 'replaced', 'vault'],
    ]);

    // The vault sold one more code of the offer to the buyer (reservation = the dispute), said so once, and counts it sold.
    expect(
      await vaultDb(`SELECT status, buyer_id::text, order_id::text, code_ids::text[] AS code_ids FROM reservation WHERE id = $1`, [firstDispute.id]),
    ).toEqual([{ status: 'committed', buyer_id: firstBuyer.organisationId, order_id: order.id, code_ids: [replaced.replacementCodeId] }]);
    const allocated = (await envelopesOf('vault.replacement.v1', firstDispute.id)).filter((e) => e.type === 'vault.replacement.allocated');
    expect(allocated.map((e) => e.payload)).toEqual([
      { disputeId: firstDispute.id, buyerId: firstBuyer.organisationId, orderId: order.id, lineId: order.lines[0].id, offerId: offer.id, originalCodeId: disputed.codeId, codeId: replaced.replacementCodeId },
    ]);
    expect(await m.stockOf(supplier, offer.id)).toEqual({ uploaded: 3, available: 0, reserved: 0, sold: 3, void: 0 });

    // The buyer reads it through the order's codes in the disputed code's place: a code of the offer it did not have,
    // which says which code it replaces. The disputed code is no longer the buyer's to read (the dispute keeps it).
    const after = await orderCodes(firstBuyer, order.id);
    expect(after.map((c) => c.codeId)).toEqual([replaced.replacementCodeId, codes[1]!.codeId]);
    expect(after[1]).toEqual(codes[1]);
    expect(after[0]).toMatchObject({ codeId: replaced.replacementCodeId, lineId: order.lines[0].id, dispute: null, replacesCodeId: disputed.codeId });
    expect(uploaded).toContain(after[0]!.code);
    expect(codes.map((c) => c.code)).not.toContain(after[0]!.code);
    expect(replaced).toMatchObject({ codeId: disputed.codeId, replacementCodeId: after[0]!.codeId });

    // Replaced is final: no refund on top of it, from the supplier or an operator; no money moved.
    expectProblem(await d.decide(supplier, firstDispute.id, 'refund'), 409, 'dispute_not_actionable');
    expectProblem(await d.resolve(operator, firstDispute.id, 'refund'), 409, 'dispute_not_actionable');
    expect(await m.wallet(firstBuyer)).toBe(100_000 - 2 * UNIT_PRICE);
    expect(await refundEntries(order.id)).toEqual([]);
  });

  it('refunds a disputed code after the escrow release: the buyer gets the unit price back once, from the commission and the supplier’s payable', async () => {
    const merchant = await m.fundedMerchant(100_000, 'Refund Buyer');
    const { order, codes } = await deliveredOrder(merchant, 2, 2);
    const opened = await created(d.open(merchant, { codeId: codes[1]!.codeId, reason: 'code_already_redeemed' }));
    // Settlement's one-second window: the escrow reaches the supplier before it answers.
    await eventually(
      () => settlementDb<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction WHERE reference = $1 AND kind = 'escrow_release'`, [order.id]),
      (rows) => rows[0]!.n === 1,
      { what: `the escrow release of order ${order.id}` },
    );
    const wallet = (await m.wallet(merchant))!;

    const refund = await d.decide(supplier, opened.id, 'refund');
    expect(refund.status).toBe(200);
    expect(['refunding', 'refunded']).toContain(refund.body.status);
    expect((await d.decide(supplier, opened.id, 'refund')).status).toBe(200);
    const refunded = await untilStatus(merchant, opened.id, 'refunded');
    expect(refunded).toMatchObject({ status: 'refunded', decision: 'refund', refundAmount: UNIT_PRICE, refundCurrency: 'CNY' });
    expect(transitionsOf(refunded)).toEqual([
      [null, 'open', 'buyer'],
      ['open', 'refunding', 'supplier'],
      ['refunding', 'refunded', 'settlement'],
    ]);
    expect(await m.wallet(merchant)).toBe(wallet + UNIT_PRICE);

    // One refund, named by the dispute, taken back from the commission and the supplier's payable.
    const refunds = await settlementDb<{ stage: string; amount: string; from_payable: string; commission_reversed: string }>(
      `SELECT stage, amount::text, from_payable::text, commission_reversed::text FROM refund WHERE request_id = $1`,
      [opened.id],
    );
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ stage: 'after_release', amount: String(UNIT_PRICE) });
    const commission = Number(refunds[0]!.commission_reversed);
    expect(await refundEntries(order.id)).toEqual([
      { kind: 'refund_after_release', entries: [['merchant_wallet', UNIT_PRICE], ['platform_commission_revenue', -commission], ['supplier_payable', commission - UNIT_PRICE]] },
    ]);

    // The same request again (a redelivery with a new event id): settlement refunds nothing more, the dispute stays refunded.
    const duplicateId = randomUUID();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: h.topic('delivery.dispute.v1'),
      messages: [
        {
          key: order.id,
          value: JSON.stringify({
            id: duplicateId,
            type: 'delivery.dispute.refund_requested',
            occurredAt: new Date().toISOString(),
            aggregateId: order.id,
            payload: { requestId: opened.id, disputeId: opened.id, orderId: order.id, lineId: order.lines[0].id, quantity: 1, reason: 'code_already_redeemed' },
          }),
        },
      ],
    });
    await producer.disconnect();
    await eventually(() => settlementDb(`SELECT 1 FROM platform_inbox WHERE event_id = $1`, [duplicateId]), (rows) => rows.length === 1, { what: 'settlement to handle the repeated request' });
    expect(await settlementDb(`SELECT id FROM refund WHERE request_id = $1`, [opened.id])).toHaveLength(1);
    expect(await refundEntries(order.id)).toHaveLength(1);
    expect(await m.wallet(merchant)).toBe(wallet + UNIT_PRICE);
    expect((await d.get(merchant, opened.id)).body.status).toBe('refunded');

    // Refunded is final: no replacement on top of it.
    expectProblem(await d.decide(supplier, opened.id, 'replace'), 409, 'dispute_not_actionable');
    expectProblem(await d.resolve(operator, opened.id, 'replace'), 409, 'dispute_not_actionable');
  });

  it('goes back to the supplier when its stock cannot replace a code, and lets operators decide contested disputes', async () => {
    const merchant = await m.fundedMerchant(100_000, 'Unlucky Buyer');
    const { offer, order, codes } = await deliveredOrder(merchant, 2, 2);
    const [first, second] = [codes[0]!, codes[1]!];

    // Both disputed at once, well within the window.
    const failing = await created(d.open(merchant, { codeId: first.codeId, reason: 'code_invalid' }));
    const contested = await created(d.open(merchant, { codeId: second.codeId, reason: 'other', evidence: 'The storefront customer says it failed.' }));

    // No code of the offer left: the replacement fails, nothing is sold, and the supplier refunds instead.
    expect((await d.decide(supplier, failing.id, 'replace')).status).toBe(200);
    const failed = await untilStatus(supplier, failing.id, 'replacement_failed');
    expect(failed).toMatchObject({ status: 'replacement_failed', failureCode: 'out_of_stock' });
    expect(await m.stockOf(supplier, offer.id)).toEqual({ uploaded: 2, available: 0, reserved: 0, sold: 2, void: 0 });
    const wallet = (await m.wallet(merchant))!;
    expect((await d.decide(supplier, failing.id, 'refund')).status).toBe(200);
    expect(await untilStatus(merchant, failing.id, 'refunded')).toMatchObject({ status: 'refunded', refundAmount: UNIT_PRICE });
    expect(await m.wallet(merchant)).toBe(wallet + UNIT_PRICE);
    expect(await refundEntries(order.id)).toHaveLength(1);

    // Contested by the supplier; only an operator decides it now, and rejecting gives the buyer its code back unfrozen.
    expect((await d.decide(supplier, contested.id, 'reject')).body.status).toBe('contested');
    expect((await d.decide(supplier, contested.id, 'reject')).body.status).toBe('contested');
    expectProblem(await d.decide(supplier, contested.id, 'refund'), 409, 'dispute_not_actionable');
    expectProblem(await d.resolve(supplier, contested.id, 'reject'), 403, 'forbidden_organisation_type');
    expectProblem(await d.decide(merchant, contested.id, 'refund'), 403, 'forbidden_organisation_type');
    const rejected = await d.resolve(operator, contested.id, 'reject');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', decision: 'reject', buyerId: merchant.organisationId, resolvedAt: expect.any(String) });
    expect(transitionsOf(rejected.body)).toEqual([
      [null, 'open', 'buyer'],
      ['open', 'contested', 'supplier'],
      ['contested', 'rejected', 'operator'],
    ]);
    expect(rejected.body.transitions[2].actorOrganisationId).toBe(operator.organisationId);
    expect((await d.resolve(operator, contested.id, 'reject')).status).toBe(200);
    expectProblem(await d.resolve(operator, contested.id, 'refund'), 409, 'dispute_not_actionable');
    expect(await deliveryDb(`SELECT frozen_at IS NULL AS unfrozen FROM delivered_code WHERE code_id = $1`, [second.codeId])).toEqual([{ unfrozen: true }]);
    // Still disputed once: a rejected dispute is not opened again.
    expectProblem(await d.open(merchant, { codeId: second.codeId, reason: 'code_invalid' }), 409, 'code_already_disputed');
    expect(await refundEntries(order.id)).toHaveLength(1);
  });

  it('refuses a dispute once the window since delivery has closed (422 dispute_window_closed)', async () => {
    const merchant = await m.fundedMerchant(100_000, 'Late Buyer');
    const { codes } = await deliveredOrder(merchant, 2, 2);
    const inTime = await created(d.open(merchant, { codeId: codes[0]!.codeId, reason: 'code_invalid' }));
    // Nothing to poll: the window is time itself.
    const closesAt = Date.parse(inTime.deliveredAt) + DELIVERY_DISPUTE_WINDOW_SECONDS * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, closesAt - Date.now()) + 200));
    const late = await d.open(merchant, { codeId: codes[1]!.codeId, reason: 'code_invalid' });
    expectProblem(late, 422, 'dispute_window_closed');
    expect(late.body.windowSeconds).toBe(DELIVERY_DISPUTE_WINDOW_SECONDS);
    expect(await deliveryDb(`SELECT count(*)::int AS n FROM dispute WHERE code_id = $1`, [codes[1]!.codeId])).toEqual([{ n: 0 }]);
  });

  it('shows a dispute to nobody but its buyer, the code’s supplier and operators, and lets nobody else act on it', async () => {
    expect(firstDispute).toBeDefined();
    const stranger = await m.fundedMerchant(10_000, 'Stranger Shop');
    const rival = await m.authorisedSupplier(await m.createBrand(), 'Rival Supplier');
    // (The code id is a small number: quoted, as it would appear in JSON.)
    const secrets = [`"${firstDispute.codeId}"`, firstDispute.orderId, firstBuyer.organisationId];
    const PROBLEM_FIELDS = ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'];

    for (const outsider of [stranger, rival]) {
      const seen = await d.get(outsider, firstDispute.id);
      expectProblem(seen, 404, 'dispute_not_found');
      expect(Object.keys(seen.body).sort()).toEqual(PROBLEM_FIELDS);
      for (const secret of secrets) expect(seen.text).not.toContain(secret);
      const listed = await d.list(outsider);
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([]);
    }
    for (const decision of ['replace', 'refund', 'reject'] as const) expectProblem(await d.decide(rival, firstDispute.id, decision), 404, 'dispute_not_found');
    // Another buyer's code is no code of the stranger's.
    const foreign = await d.open(stranger, { codeId: firstDispute.codeId, reason: 'code_invalid' });
    expectProblem(foreign, 404, 'code_not_found');
    expect(Object.keys(foreign.body).sort()).toEqual(PROBLEM_FIELDS);
    for (const secret of secrets) expect(foreign.text).not.toContain(secret);

    // Operators see every dispute, with the buyer.
    const all = await d.list(operator, `?orderId=${firstDispute.orderId}`);
    expect(all.body.items.map((i: JsonBody) => [i.id, i.buyerId])).toEqual([[firstDispute.id, firstBuyer.organisationId]]);
  });
});
