import { randomUUID } from 'node:crypto';
import { eventually, expectLedgerConsistent, expectVaultCountsConsistent, marketplace, startSystem, type Account, type ApiResponse, type JsonBody, type Marketplace, type SystemHarness, type SystemService } from '@kami/testing';

/*
 * Crash safety of the order saga: 50 orders are placed at once by five merchants whose wallets
 * cover only part of them, for a product whose stock covers only part of them; while the saga
 * runs, one service (ordering, vault, settlement or delivery) is killed with SIGKILL, at a moment drawn at
 * random (the draw is in the test's name), and started again. Storefronts retry a call that got
 * no answer with the same Idempotency-Key, as a real one would.
 *
 * However the crash fell, every order must end delivered or cancelled, each delivered order's
 * codes sold to it and to nobody else, each cancelled one with no money kept, every wallet down by
 * exactly its delivered orders, escrow released once after the dispute window, the ledger
 * balanced and the vault's counts whole.
 */

const MERCHANTS = 5;
const ORDERS_PER_MERCHANT = 10;
const UNIT_PRICE = 1_000;
// Each merchant can pay about seven of its ten orders; the two offers hold about 70% of the demand.
const TOP_UP = 7 * 3 * UNIT_PRICE;
const STOCK_PER_OFFER = 52;
// Orders settle within ~2 s of being placed here; a kill anywhere in that span hits some step.
const KILL_WINDOW_MS = 2_500;

type Victim = Extract<SystemService, 'ordering' | 'vault' | 'settlement' | 'delivery'>;
const killDelays: Record<Victim, number> = {
  ordering: Math.floor(Math.random() * KILL_WINDOW_MS),
  vault: Math.floor(Math.random() * KILL_WINDOW_MS),
  settlement: Math.floor(Math.random() * KILL_WINDOW_MS),
  delivery: Math.floor(Math.random() * KILL_WINDOW_MS),
};

let h: SystemHarness;
let m: Marketplace;
let operator: Account;
let brandId: string;

const settlementDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('settlement').query<R>(sql, params);
const vaultDb = <R>(sql: string, params?: unknown[]): Promise<R[]> => h.service('vault').query<R>(sql, params);

/**
 * Places an order as a storefront does: a call that gets no answer from ordering (connection
 * refused, gateway 502/503/504 while it is down), or 409 idempotency_request_in_progress (a call
 * the killed process had begun: its claim lapses after a few seconds), is sent again with the same
 * key until ordering answers. Returns ordering's answer.
 */
async function placeRetrying(merchant: Account, body: unknown): Promise<ApiResponse> {
  const key = randomUUID();
  const deadline = Date.now() + 90_000;
  for (;;) {
    const answer = await m.placeOrder(merchant, body, key).catch((error: unknown) => ({ status: 0, text: String(error) }) as ApiResponse);
    const unanswered = [0, 502, 503, 504].includes(answer.status) || answer.body?.code === 'idempotency_request_in_progress';
    if (!unanswered) return answer;
    if (Date.now() > deadline) throw new Error(`ordering never answered order ${key}: ${answer.status} ${answer.text}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Net movement of the merchant wallet by the order's ledger transactions (capture, refunds). */
async function walletMovementOf(orderId: string): Promise<number> {
  const [row] = await settlementDb<{ net: string }>(
    `SELECT coalesce(sum(e.amount), 0)::text AS net FROM ledger_entry e JOIN ledger_account a ON a.id = e.account_id JOIN ledger_transaction t ON t.id = e.transaction_id
      WHERE t.reference = $1 AND a.kind = 'merchant_wallet'`,
    [orderId],
  );
  return Number(row!.net);
}

/**
 * For a failure message: where each order that has not ended stands in every service of the saga
 * (its events in ordering's outbox, the vault's inbox and allocation, settlement's capture), and the
 * warnings and errors each service printed. A stuck order is then diagnosable from the CI log alone.
 */
async function whereOrdersStopped(orderIds: string[]): Promise<string> {
  const open = await h.service('ordering').query<{ id: string; status: string }>(
    `SELECT id::text, status FROM purchase_order WHERE id = ANY($1::uuid[]) AND status NOT IN ('delivered', 'cancelled', 'failed')`,
    [orderIds],
  );
  const eventsOf = (service: 'ordering' | 'vault', ids: string[]) =>
    h.service(service).query<{ event_id: string; event_type: string; aggregate_id: string; published: boolean }>(
      `SELECT event_id::text, event_type, envelope->>'aggregateId' AS aggregate_id, published_at IS NOT NULL AS published FROM platform_outbox WHERE envelope->>'aggregateId' = ANY($1::text[])`,
      [ids],
    );
  const ids = open.slice(0, 10).map((o) => o.id);
  const orderingEvents = await eventsOf('ordering', ids);
  const vaultEvents = await eventsOf('vault', ids);
  const vaultInbox = await vaultDb<{ event_id: string; consumer: string }>(`SELECT event_id::text, consumer FROM platform_inbox WHERE event_id::text = ANY($1::text[])`, [orderingEvents.map((e) => e.event_id)]);
  const allocations = await vaultDb<{ order_id: string; status: string }>(`SELECT order_id::text, status FROM allocation_order WHERE order_id = ANY($1::uuid[])`, [ids]);
  const events = (list: typeof orderingEvents, id: string): string =>
    list.filter((e) => e.aggregate_id === id).map((e) => `${e.event_type}${e.published ? '' : ' (unpublished)'}${vaultInbox.some((i) => i.event_id === e.event_id) ? ' [in the vault inbox]' : ''}`).join(', ') || 'none';
  const orders = open.slice(0, 10).map(
    (o) => `${o.id} ${o.status}: ordering sent ${events(orderingEvents, o.id)}; vault allocation ${allocations.find((a) => a.order_id === o.id)?.status ?? 'none'}, vault sent ${events(vaultEvents, o.id)}`,
  );
  const logs = (['ordering', 'vault', 'settlement', 'delivery'] as const).map((service) => {
    const lines = h.service(service).process.output().split('\n').filter((line) => /"level":"(warn|error|fatal)"/.test(line) && !/kafkajs/.test(line));
    return `${service}: ${lines.length} warnings and errors (not kafkajs's), the last 5: ${lines.slice(-5).map((line) => line.slice(0, 300)).join(' | ')}`;
  });
  return [`${open.length} order(s) had not ended; where they stopped:`, ...orders, ...logs].join('\n');
}

beforeAll(async () => {
  h = await startSystem({
    label: 'crash',
    limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000, RATE_LIMIT_LOGIN_PER_IP: 1_000 },
    services: ['catalog', 'vault', 'ordering', 'settlement', 'delivery'],
    serviceEnv: {
      vault: { STOCK_EVENT_INTERVAL_MS: '100' },
      settlement: { DISPUTE_WINDOW_SECONDS: '1', ESCROW_RELEASE_INTERVAL_MS: '200' },
    },
  });
  operator = await h.bootstrapOperator();
  m = marketplace(h, operator);
  brandId = await m.createBrand();
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

describe.each(Object.entries(killDelays) as [Victim, number][])('SIGKILL of %s during 50 concurrent orders', (victim, delay) => {
  it(`ends every order delivered or cancelled with its money back, sells no code twice and keeps the ledger balanced (killed ${delay} ms after the first order)`, async () => {
    const product = await m.createProduct(brandId);
    const suppliers = await Promise.all([m.authorisedSupplier(brandId), m.authorisedSupplier(brandId)]);
    const offers = await Promise.all(suppliers.map((s) => m.offerWithStock(s, product.id, [{ minQuantity: 1, unitPrice: UNIT_PRICE }], STOCK_PER_OFFER)));
    const merchants = await Promise.all(
      Array.from({ length: MERCHANTS }, async () => {
        const merchant = await h.createAccount(operator.token, 'merchant');
        await m.topUp(merchant, TOP_UP);
        return merchant;
      }),
    );

    // 50 orders of 1–5 codes at once (routing may split one across both offers), and the kill.
    const orders = merchants.flatMap((merchant) => Array.from({ length: ORDERS_PER_MERCHANT }, () => ({ merchant, quantity: 1 + Math.floor(Math.random() * 5) })));
    const placing = Promise.all(orders.map((o) => placeRetrying(o.merchant, { lines: [{ productId: product.id, quantity: o.quantity }] })));
    await new Promise((resolve) => setTimeout(resolve, delay));
    await h.restart(victim, 'SIGKILL');
    const answers = await placing;

    // Placement answers an order (201) or refuses it on ordering's own projection (no order, no money).
    for (const answer of answers) expect([201, 402, 409]).toContain(answer.status);
    const placed = answers.flatMap((a, i) => (a.status === 201 ? [{ id: a.body.id as string, total: a.body.total as number, merchant: orders[i]!.merchant }] : []));
    expect(placed.length).toBeGreaterThan(0);

    const ended = await Promise.all(placed.map((o) => m.untilSettled(o.merchant, o.id, 'delivered', 120_000))).catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await whereOrdersStopped(placed.map((o) => o.id))}`);
    });
    const outcomes = ended.map((o) => o.status as string);
    for (const status of outcomes) expect(['delivered', 'cancelled']).toContain(status);

    // Money: a delivered order took its total from the wallet once; a cancelled one took nothing
    // (or gave back what it took); every wallet is its top-up less its delivered orders.
    for (const [k, order] of ended.entries()) expect([order.id, await walletMovementOf(order.id)]).toEqual([order.id, order.status === 'delivered' ? -placed[k]!.total : 0]);
    for (const merchant of merchants) {
      const spent = ended.filter((o, k) => placed[k]!.merchant === merchant && o.status === 'delivered').reduce((n, o) => n + (o.total as number), 0);
      expect(await m.wallet(merchant)).toBe(TOP_UP - spent);
    }

    // Codes: each delivered line has its own codes, committed to it; nothing else of these offers is sold or held.
    const deliveredLines = ended.filter((o) => o.status === 'delivered').flatMap((o) => o.lines as JsonBody[]);
    const sold = await vaultDb<{ reservation_id: string; n: number }>(
      `SELECT c.reservation_id::text, count(*)::int AS n FROM code c JOIN reservation r ON r.id = c.reservation_id
        WHERE c.offer_id = ANY($1::uuid[]) AND c.status = 'allocated' AND r.status = 'committed' GROUP BY c.reservation_id`,
      [offers.map((o) => o.id)],
    );
    expect(Object.fromEntries(sold.map((s) => [s.reservation_id, s.n]))).toEqual(Object.fromEntries(deliveredLines.map((l) => [l.id, l.quantity])));
    // The delivery ledger holds exactly the sold codes, each once, with the buyer and line the vault sold it to.
    const soldCodes = await vaultDb<{ code_id: string; line_id: string; buyer_id: string }>(
      `SELECT c.id::text AS code_id, r.id::text AS line_id, r.buyer_id::text FROM code c JOIN reservation r ON r.id = c.reservation_id
        WHERE c.offer_id = ANY($1::uuid[]) AND c.status = 'allocated' AND r.status = 'committed' ORDER BY c.id`,
      [offers.map((o) => o.id)],
    );
    const ledger = await h.service('delivery').query<{ code_id: string; line_id: string; buyer_id: string }>(
      `SELECT d.code_id::text, d.line_id::text, d.buyer_id::text FROM delivered_code d WHERE d.offer_id = ANY($1::uuid[]) ORDER BY d.code_id`,
      [offers.map((o) => o.id)],
    );
    expect(ledger).toEqual(soldCodes);
    const stock = await Promise.all(offers.map((o, k) => m.stockOf(suppliers[k]!, o.id)));
    expect(stock.map((s) => [s.reserved, s.sold, s.available])).toEqual(
      offers.map((o) => {
        const soldHere = deliveredLines.filter((l) => l.offerId === o.id).reduce((n, l) => n + (l.quantity as number), 0);
        return [0, soldHere, STOCK_PER_OFFER - soldHere];
      }),
    );

    // Escrow: every delivered order is released to its supplier once, after the dispute window.
    const deliveredIds = ended.filter((o) => o.status === 'delivered').map((o) => o.id as string);
    await eventually(
      () => settlementDb<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction WHERE kind = 'escrow_release' AND reference = ANY($1::text[])`, [deliveredIds]),
      (rows) => rows[0]!.n === deliveredIds.length,
      { what: 'the escrow of every delivered order released', timeoutMs: 30_000 },
    );
    for (const merchant of merchants) expect((await m.accounts(merchant)).order_escrow ?? 0).toBe(0);

    await expectLedgerConsistent(settlementDb);
    await expectVaultCountsConsistent(vaultDb);
  }, 300_000);
});
