import type { Kafka } from 'kafkajs';
import { commissionOf, created, eventually, expectLedgerConsistent, expectVaultCountsConsistent, marketplace, readTopic, startSystem, testKafka, transitionsOf, type Account, type JsonBody, type Marketplace, type SystemHarness } from '@kami/testing';

/*
 * The whole purchase saga for real: gateway, catalog, vault, ordering and settlement as their own
 * processes, PostgreSQL, Redis and Kafka; nothing stands in for any service. Merchants top up
 * through the sandbox payment provider, order through the gateway, and the services carry the
 * order placed → reserved → paid → allocated → delivered (or cancel it) over Kafka; escrow goes
 * to the suppliers after a short dispute window, less the platform's commission.
 * After every scenario the ledger balances and agrees with its entries, and the vault's counts
 * agree with its codes.
 */

const DISPUTE_WINDOW_SECONDS = 1;
// Not the default 500, so the test shows settlement applies the configured rate.
const COMMISSION_RATE_BPS = 750;
// Each supplier funds this deposit (保证金) before its offers may be active; sales never touch it.
const SUPPLIER_DEPOSIT_MINIMUM = 50_000;

let h: SystemHarness;
let m: Marketplace;
let kafka: Kafka;
let operator: Account;
let brandId: string;

interface Envelope {
  id: string;
  type: string;
  aggregateId: string;
  payload: JsonBody;
}

async function eventsOf(topic: string, orderId: string): Promise<Envelope[]> {
  return (await readTopic(kafka, h.topic(topic))).map((msg) => JSON.parse(msg.value!.toString('utf8')) as Envelope).filter((e) => e.aggregateId === orderId);
}

const settlementDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('settlement').query<R>(sql, params);
const vaultDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('vault').query<R>(sql, params);

/** The ledger transactions referencing the order: kind → count. */
async function movementsOf(orderId: string): Promise<Record<string, number>> {
  const rows = await settlementDb<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM ledger_transaction WHERE reference = $1 GROUP BY kind`, [orderId]);
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

/** Orders [owner, account kind, amount] rows by account kind, then owner. */
function byKindThenOwner(a: (string | number)[], b: (string | number)[]): number {
  return String(a[1]).localeCompare(String(b[1])) || String(a[0]).localeCompare(String(b[0]));
}

/** Every ledger entry of the order's transactions of one kind, as [owner, account kind, amount], by account kind then owner. */
async function entriesOf(orderId: string, kind: string): Promise<[string, string, number][]> {
  const rows = await settlementDb<{ owner: string; kind: string; amount: string }>(
    `SELECT a.owner, a.kind, e.amount::text FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id JOIN ledger_transaction t ON t.id = e.transaction_id
      WHERE t.reference = $1 AND t.kind = $2`,
    [orderId, kind],
  );
  return rows.map((r): [string, string, number] => [r.owner, r.kind, Number(r.amount)]).sort(byKindThenOwner);
}

/** Waits until settlement has released the order's escrow (after the dispute window). */
function released(orderId: string): Promise<unknown> {
  return eventually(() => movementsOf(orderId), (kinds) => kinds.escrow_release === 1, { what: `the escrow release of order ${orderId}`, timeoutMs: 20_000 });
}

/**
 * The vault sold exactly what the order asked for: one committed allocation, per line the
 * line's quantity of distinct codes, each code of the line's offer and sold to that line.
 */
async function expectCodesSold(order: JsonBody): Promise<void> {
  const committed = (await eventsOf('vault.allocation.v1', order.id)).filter((e) => e.type === 'vault.allocation.committed');
  expect(committed).toHaveLength(1);
  const soldLines = committed[0]!.payload.lines as { lineId: string; offerId: string; codeIds: string[] }[];
  expect(soldLines.map((l) => [l.lineId, l.offerId, l.codeIds.length]).sort()).toEqual(order.lines.map((l: JsonBody) => [l.id, l.offerId, l.quantity]).sort());
  const allCodes = soldLines.flatMap((l) => l.codeIds);
  expect(new Set(allCodes).size).toBe(allCodes.length);
  for (const line of soldLines) {
    const codes = await vaultDb<{ offer_id: string; status: string; reservation: string; reservation_status: string }>(
      `SELECT c.offer_id::text, c.status, c.reservation_id::text AS reservation, r.status AS reservation_status
         FROM code c JOIN reservation r ON r.id = c.reservation_id WHERE c.id = ANY($1::bigint[])`,
      [line.codeIds],
    );
    expect(codes).toHaveLength(line.codeIds.length);
    expect(new Set(codes.map((c) => JSON.stringify(c)))).toEqual(
      new Set([JSON.stringify({ offer_id: line.offerId, status: 'allocated', reservation: line.lineId, reservation_status: 'committed' })]),
    );
  }
}

const HAPPY_PATH = ['placed', 'reserved', 'paid', 'allocated', 'delivered'];

/**
 * A delivered order's recorded transitions: placed → reserved → paid → allocated → delivered, in
 * that order, whatever order vault's, settlement's and delivery's events reached ordering in (a
 * step an overtaking event implied is recorded with reason `implied`); delivered from the delivery
 * service's one event; and the payment it went through (one settlement.payment.captured) really
 * happened.
 */
async function expectDeliveredPath(order: JsonBody): Promise<void> {
  const path = transitionsOf(order);
  expect(path.map(([from, to]) => [from, to])).toEqual([[null, 'placed'], ...HAPPY_PATH.slice(1).map((to, i) => [HAPPY_PATH[i], to])]);
  for (const [, to, reason] of path) expect([to, reason === null || reason === 'implied']).toEqual([to, true]);
  const delivered = await eventsOf('delivery.order.v1', order.id);
  expect(delivered.map((e) => [e.id, e.type])).toEqual([[order.transitions.at(-1).eventId, 'delivery.order.delivered']]);
  const payments = await eventsOf('settlement.payment.v1', order.id);
  expect(payments.map((e) => [e.type, e.payload.amount])).toEqual([['settlement.payment.captured', order.total]]);
}

/** A merchant with the given balance in its wallet (topped up through the sandbox; 0: never topped up). */
async function merchantWith(balance: number, name?: string): Promise<Account> {
  const merchant = await h.createAccount(operator.token, 'merchant', name);
  if (balance > 0) await m.topUp(merchant, balance);
  else await m.openedWallet(merchant);
  return merchant;
}

beforeAll(async () => {
  h = await startSystem({
    label: 'purchase',
    // These tests poll order status from one address; the gateway's limits have their own tests.
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    serviceEnv: {
      vault: { STOCK_EVENT_INTERVAL_MS: '100' },
      settlement: {
        DISPUTE_WINDOW_SECONDS: String(DISPUTE_WINDOW_SECONDS),
        ESCROW_RELEASE_INTERVAL_MS: '200',
        COMMISSION_RATE_BPS: String(COMMISSION_RATE_BPS),
        SUPPLIER_DEPOSIT_MINIMUM: String(SUPPLIER_DEPOSIT_MINIMUM),
      },
    },
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  brandId = await m.createBrand();
  kafka = await testKafka('ordering-purchase-saga-e2e');
}, 180_000);

afterEach(async () => {
  if (!h) return;
  await expectLedgerConsistent(settlementDb);
  await expectVaultCountsConsistent(vaultDb);
});

afterAll(async () => {
  await h?.stop();
});

describe('the purchase saga across all services', () => {
  it('delivers a funded merchant’s order with the ordered codes, charges the wallet the total once, and pays the supplier less commission after the dispute window', async () => {
    const supplier = await m.authorisedSupplier(brandId, 'Codes Direct');
    const product = await m.createProduct(brandId);
    const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 9500 }, { minQuantity: 5, unitPrice: 9000 }], 12);

    // Top-up through the sandbox: it notifies settlement twice; one credit.
    const merchant = await h.createAccount(operator.token, 'merchant', 'Funded Merchant');
    expect(await m.openedWallet(merchant)).toBe(0);
    const topup = await m.topUp(merchant, 100_000);
    const notifications = await eventually(
      () => settlementDb<{ outcome: string }>(`SELECT outcome FROM provider_notification WHERE topup_id = $1 ORDER BY id`, [topup.id]),
      (rows) => rows.length >= 2,
      { what: 'both sandbox notifications' },
    );
    expect(notifications.map((n) => n.outcome)).toEqual(['credited', 'duplicate']);
    expect((await m.settlement(merchant, 'GET', `/topups/${topup.id}`)).body.status).toBe('succeeded');
    expect(await m.wallet(merchant)).toBe(100_000);
    expect(await movementsOf(topup.id)).toEqual({ topup: 1 });

    // The order, at the 5+ tier price; the same Idempotency-Key again answers the same order.
    const key = `purchase-${topup.id}`;
    const body = { lines: [{ productId: product.id, quantity: 5 }] };
    const placed = await m.placeOrder(merchant, body, key);
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      status: 'placed',
      currency: 'CNY',
      total: 45_000,
      lines: [{ offerId: offer.id, supplierId: supplier.organisationId, productId: product.id, quantity: 5, unitPrice: 9000, lineTotal: 45_000 }],
    });
    const order = placed.body;
    expect((await m.placeOrder(merchant, body, key)).body.id).toBe(order.id);

    const delivered = await m.untilSettled(merchant, order.id, 'delivered');
    expect({ status: delivered.status, reason: delivered.statusReason }).toEqual({ status: 'delivered', reason: null });
    await expectDeliveredPath(delivered);
    expect(delivered.lines.map((l: JsonBody) => l.allocated)).toEqual([5]);

    // The vault sold exactly five codes to this order's line, and its counts moved by five.
    await expectCodesSold(order);
    expect(await m.stockOf(supplier, offer.id)).toEqual({ uploaded: 12, available: 7, reserved: 0, sold: 5, void: 0 });

    // The wallet went down by exactly the total, into escrow, once (the release may already have
    // followed: the dispute window is a second).
    expect(await m.wallet(merchant)).toBe(100_000 - 45_000);
    expect(await movementsOf(order.id)).toMatchObject({ order_capture: 1 });
    expect(await entriesOf(order.id, 'order_capture')).toEqual(
      [
        [merchant.organisationId, 'merchant_wallet', -45_000],
        [merchant.organisationId, 'order_escrow', 45_000],
      ].sort(byKindThenOwner),
    );

    // After the dispute window: the supplier's payable holds its line less 7.5%, the platform the 7.5%.
    await released(order.id);
    const commission = commissionOf(45_000, COMMISSION_RATE_BPS);
    expect(commission).toBe(3_375);
    expect(await m.accounts(supplier)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM, supplier_payable: 45_000 - commission });
    expect(await m.accounts(merchant)).toEqual({ merchant_wallet: 55_000, order_escrow: 0 });
    expect(await entriesOf(order.id, 'escrow_release')).toEqual(
      [
        [merchant.organisationId, 'order_escrow', -45_000],
        ['platform', 'platform_commission_revenue', commission],
        [supplier.organisationId, 'supplier_payable', 45_000 - commission],
      ].sort(byKindThenOwner),
    );
    expect((await m.accounts(operator, 'platform')).platform_commission_revenue).toBeGreaterThanOrEqual(commission);
    expect(await movementsOf(order.id)).toEqual({ order_capture: 1, escrow_release: 1 });
  });

  it('cancels an order the wallet cannot cover (insufficient_balance), releases its stock and moves no money', async () => {
    const supplier = await m.authorisedSupplier(brandId);
    const product = await m.createProduct(brandId);
    const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 4000 }], 5);
    // Settlement opened this merchant's wallet when it registered, but nothing was ever paid in:
    // ordering has seen no balance for it, so it places the order and settlement decides.
    const merchant = await merchantWith(0, 'Merchant Without Funds');

    const order = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 3 }] }));
    expect(order.total).toBe(12_000);
    const cancelled = await m.untilSettled(merchant, order.id, 'cancelled');
    expect({ status: cancelled.status, reason: cancelled.statusReason }).toEqual({ status: 'cancelled', reason: 'insufficient_balance' });
    // Settlement fails the payment only once the vault has reserved, but ordering reads the
    // vault's and settlement's topics separately: "reserved" may be overtaken by the failure.
    const path = transitionsOf(cancelled);
    expect(path[0]).toEqual([null, 'placed', null]);
    expect(path.at(-1)).toEqual([path.at(-2)![1], 'cancelled', 'insufficient_balance']);
    expect(path.map((t) => t[1])).not.toContain('paid');

    // The stock came back: the reservation was released, the offer's counts are as uploaded.
    const reservations = await eventually(
      () => vaultDb<{ id: string; status: string }>(`SELECT id::text, status FROM reservation WHERE order_id = $1`, [order.id]),
      (rows) => rows.length > 0 && rows.every((r) => r.status !== 'held'),
      { what: `the vault to release order ${order.id}` },
    );
    expect(reservations).toEqual([{ id: order.lines[0].id, status: 'released' }]);
    // The release's event leaves through the vault's outbox just after the row changed.
    const vaultEvents = await eventually(
      async () => (await eventsOf('vault.allocation.v1', order.id)).map((e) => e.type),
      (types) => types.includes('vault.allocation.released'),
      { what: `vault.allocation.released for order ${order.id}` },
    );
    expect(vaultEvents).toEqual(['vault.allocation.reserved', 'vault.allocation.released']);
    expect(await m.stockOf(supplier, offer.id)).toEqual({ uploaded: 5, available: 5, reserved: 0, sold: 0, void: 0 });

    // No money moved.
    const payments = (await eventsOf('settlement.payment.v1', order.id)).map((e) => [e.type, e.payload]);
    expect(payments).toEqual([['settlement.payment.failed', { orderId: order.id, reason: 'insufficient_balance' }]]);
    expect(await movementsOf(order.id)).toEqual({});
    expect(await m.wallet(merchant)).toBe(0);
    expect(await m.accounts(supplier)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM });
  });

  it('cancels an order the vault cannot fill (out_of_stock) and moves no money for it', async () => {
    const supplier = await m.authorisedSupplier(brandId);
    const product = await m.createProduct(brandId);
    const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 2000 }], 10);
    const merchant = await merchantWith(50_000, 'Racing Merchant');

    // Ordering quotes from its own projection of vault's stock and refuses with 409 what that
    // projection shows it cannot fill (orders.e2e-spec.ts covers that refusal). The vault's own
    // rejection happens when the projection is behind: here two orders of 6 arrive together for
    // the 10 codes. Ordering checks both against the same "10 available" (the first order's
    // reservation reaches it only later, as a vault.stock event); the vault reserves all of one
    // order or none, so one order gets its codes and the other is rejected.
    const [first, second] = await Promise.all([
      created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 6 }] })),
      created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 6 }] })),
    ]);
    const outcomes = await Promise.all([first, second].map((o) => m.untilSettled(merchant, o.id, 'delivered')));
    // Reasons and histories in the failure message: which step refused the order that should have won.
    expect({ statuses: outcomes.map((o) => o.status).sort(), histories: outcomes.map(transitionsOf) }).toMatchObject({ statuses: ['cancelled', 'delivered'] });
    const winner = outcomes.find((o) => o.status === 'delivered')!;
    const loser = outcomes.find((o) => o.status === 'cancelled')!;

    expect(loser.statusReason).toBe('out_of_stock');
    expect(transitionsOf(loser)).toEqual([
      [null, 'placed', null],
      ['placed', 'cancelled', 'out_of_stock'],
    ]);
    const rejected = (await eventsOf('vault.allocation.v1', loser.id)).map((e) => [e.type, e.payload.shortfall]);
    expect(rejected).toEqual([['vault.allocation.rejected', [{ offerId: offer.id, requested: 6, available: 4 }]]]);
    expect(await vaultDb(`SELECT 1 FROM reservation WHERE order_id = $1`, [loser.id])).toEqual([]);

    // No money moved for the rejected order; the other paid its 12,000 and got its six codes.
    expect(await movementsOf(loser.id)).toEqual({});
    expect((await eventsOf('settlement.payment.v1', loser.id)).map((e) => e.type)).toEqual([]);
    expect(await movementsOf(winner.id)).toMatchObject({ order_capture: 1 });
    expect(await m.wallet(merchant)).toBe(50_000 - 12_000);
    await expectCodesSold(winner);
    expect(await m.stockOf(supplier, offer.id)).toEqual({ uploaded: 10, available: 4, reserved: 0, sold: 6, void: 0 });

    // Ordering's projection catches up: a third order of 6 is now refused up front, storing nothing.
    await eventually(
      () => h.service('ordering').query<{ available: number }>(`SELECT available FROM offer_stock_view WHERE offer_id = $1`, [offer.id]),
      (rows) => rows[0]?.available === 4,
      { what: `ordering's projection of offer ${offer.id} to show 4` },
    );
    const refused = await m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 6 }] });
    expect({ status: refused.status, code: refused.body?.code, shortfall: refused.body?.shortfall }).toEqual({
      status: 409,
      code: 'insufficient_stock',
      shortfall: [{ line: 0, requested: 6, available: 4 }],
    });
    expect((await m.orders(merchant, 'GET', `?productId=${product.id}`)).body.items).toHaveLength(2);

    // The delivered order is settled too, so nothing of this scenario is in flight afterwards.
    await released(winner.id);
    expect(await m.accounts(supplier)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM, supplier_payable: 12_000 - commissionOf(12_000, COMMISSION_RATE_BPS) });
  });

  it('splits an order across two suppliers at each one’s own tier price and pays each its share less commission', async () => {
    const [supplierA, supplierB] = [await m.authorisedSupplier(brandId, 'Bulk Cheap A'), await m.authorisedSupplier(brandId, 'Deep Stock B')];
    const product = await m.createProduct(brandId);
    // A is cheaper in bulk but holds only 6 of the 10; B fills the rest at its own (1+) tier price.
    const offerA = await m.offerWithStock(supplierA, product.id, [{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 5, unitPrice: 9100 }], 6);
    const offerB = await m.offerWithStock(supplierB, product.id, [{ minQuantity: 1, unitPrice: 9400 }, { minQuantity: 10, unitPrice: 9300 }], 20);
    const merchant = await merchantWith(100_000, 'Split Merchant');

    const order = await created(m.placeOrder(merchant, { lines: [{ productId: product.id, quantity: 10, maxUnitPrice: 9500 }] }));
    expect(order.lines.map((l: JsonBody) => [l.offerId, l.supplierId, l.quantity, l.unitPrice, l.lineTotal])).toEqual([
      [offerA.id, supplierA.organisationId, 6, 9100, 54_600],
      [offerB.id, supplierB.organisationId, 4, 9400, 37_600],
    ]);
    expect(order.total).toBe(92_200);

    const delivered = await m.untilSettled(merchant, order.id, 'delivered');
    await expectDeliveredPath(delivered);
    expect(delivered.lines.map((l: JsonBody) => l.allocated)).toEqual([6, 4]);
    await expectCodesSold(order);
    expect(await m.stockOf(supplierA, offerA.id)).toEqual({ uploaded: 6, available: 0, reserved: 0, sold: 6, void: 0 });
    expect(await m.stockOf(supplierB, offerB.id)).toEqual({ uploaded: 20, available: 16, reserved: 0, sold: 4, void: 0 });
    expect(await m.wallet(merchant)).toBe(100_000 - 92_200);

    await released(order.id);
    const commissionA = commissionOf(54_600, COMMISSION_RATE_BPS);
    const commissionB = commissionOf(37_600, COMMISSION_RATE_BPS);
    expect([commissionA, commissionB]).toEqual([4_095, 2_820]);
    expect(await m.accounts(supplierA)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM, supplier_payable: 54_600 - commissionA });
    expect(await m.accounts(supplierB)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM, supplier_payable: 37_600 - commissionB });
    expect(await m.accounts(merchant)).toEqual({ merchant_wallet: 7_800, order_escrow: 0 });
    const release = await entriesOf(order.id, 'escrow_release');
    expect(release).toEqual(
      [
        [merchant.organisationId, 'order_escrow', -92_200],
        ['platform', 'platform_commission_revenue', commissionA + commissionB],
        [supplierA.organisationId, 'supplier_payable', 54_600 - commissionA],
        [supplierB.organisationId, 'supplier_payable', 37_600 - commissionB],
      ].sort(byKindThenOwner),
    );
  });

  it('takes the operator’s commission rate for the product’s category, and refunds a code after release from commission and the supplier’s payable', async () => {
    const CONSOLE_RATE_BPS = 1_200;
    const setRate = await h.gateway.request('PUT', '/api/v1/settlement/commission-rates/categories/game-cards.console', { token: operator.token, json: { rateBps: CONSOLE_RATE_BPS } });
    expect(setRate.status).toBe(200);
    const supplier = await m.authorisedSupplier(brandId, 'Console Cards');
    const product = await m.createProduct(brandId, 'game-cards.console');
    const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 9000 }], 5);
    const merchant = await merchantWith(50_000, 'Console Merchant');

    const order = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 2 }] }));
    expect((await m.untilSettled(merchant, order.id, 'delivered')).status).toBe('delivered');
    await released(order.id);
    const commission = commissionOf(18_000, CONSOLE_RATE_BPS);
    expect(commission).toBe(2_160);
    expect(await m.accounts(supplier)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM, supplier_payable: 18_000 - commission });

    // One code turns out bad after the release: the buyer gets its price back, the platform its
    // commission share, the supplier's payable the rest; the same request again refunds once.
    const request = { orderId: order.id, lineId: order.lines[0].id, quantity: 1, reason: 'code_invalid' };
    const key = `refund-${order.id}`;
    const refund = await h.gateway.request('POST', '/api/v1/settlement/refunds', { token: operator.token, json: request, headers: { 'Idempotency-Key': key } });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ stage: 'after_release', amount: 9_000, commissionReversed: commission / 2, fromPayable: 9_000 - commission / 2, fromDeposit: 0 });
    const again = await h.gateway.request('POST', '/api/v1/settlement/refunds', { token: operator.token, json: request, headers: { 'Idempotency-Key': key } });
    expect([again.status, again.body.id]).toEqual([201, refund.body.id]);
    expect(await m.wallet(merchant)).toBe(50_000 - 18_000 + 9_000);
    expect(await m.accounts(supplier)).toEqual({ supplier_deposit: SUPPLIER_DEPOSIT_MINIMUM, supplier_payable: 18_000 - commission - (9_000 - commission / 2) });
    // A merchant cannot refund itself.
    const byMerchant = await h.gateway.request('POST', '/api/v1/settlement/refunds', { token: merchant.token, json: request, headers: { 'Idempotency-Key': `${key}-merchant` } });
    expect(byMerchant.status).toBe(403);
  });

  it('answers a storefront’s long-poll with the order once it has ended, and refuses a wait beyond 30 s', async () => {
    const supplier = await m.authorisedSupplier(brandId, 'Long-poll Codes');
    const product = await m.createProduct(brandId);
    const offer = await m.offerWithStock(supplier, product.id, [{ minQuantity: 1, unitPrice: 5_000 }], 3);
    const merchant = await merchantWith(10_000, 'Waiting Storefront');

    const order = await created(m.placeOrder(merchant, { lines: [{ offerId: offer.id, quantity: 1 }] }));
    // One request, sent while the order is still in the saga: it comes back only once the order is delivered.
    const answered = await m.order(merchant, order.id, 30);
    expect(answered.status).toBe('delivered');
    await expectDeliveredPath(answered);
    // An order that has ended answers at once, whatever the wait.
    expect((await m.order(merchant, order.id, 30)).status).toBe('delivered');

    const tooLong = await m.orders(merchant, 'GET', `/${order.id}?wait=31`);
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'validation_failed']);
    await released(order.id);
  });
});
