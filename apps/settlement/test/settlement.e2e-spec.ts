import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import {
  AllocationFailed,
  CodesAllocated,
  OrderPlaced,
  StockReserved,
  Topics,
  type EventDefinition,
  type OrderPlacedPayload,
} from '@kami/contracts';
import { eventually, readTopic, startSystem, testKafka, type Account, type ApiResponse, type SystemHarness } from '@kami/testing';
import { signNotification, type SandboxNotification } from '../src/payments/sandbox-provider';
import { balanceOf, expectLedgerConsistent } from './support/ledger-invariants';

const SANDBOX_KEY = `sandbox-test-key-${randomUUID()}`;
const DISPUTE_WINDOW_SECONDS = 2;

interface Envelope {
  id: string;
  type: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

/**
 * Settlement through the gateway and the real broker: wallet top-ups through the sandbox provider
 * (signed notifications, duplicates, bad signatures, channel limits), the order payment step of
 * the saga (capture once, insufficient balance, reserved before placed, refunds of unallocated
 * lines), escrow released after the dispute window with commission, balances and statements.
 * After every test the ledger must balance and every cached balance equal its entries.
 */
describe('settlement', () => {
  let system: SystemHarness;
  let kafka: Kafka;
  let producer: Producer;
  let operator: Account;
  let merchant: Account;
  const supplierA = randomUUID();
  const supplierB = randomUUID();

  const settlement = (): SystemHarness['services']['settlement'] & object => system.service('settlement');
  const query = <R>(sql: string, params?: unknown[]): Promise<R[]> => settlement().query<R>(sql, params);
  // Through the gateway, as a provider reaches it: the one route it forwards without a Kami identity.
  const notifyUrl = (): string => `${system.gateway.url}/api/v1/settlement/providers/sandbox/notifications`;

  const publish = async <P extends object>(definition: EventDefinition<P>, aggregateId: string, payload: P, eventId = randomUUID()): Promise<void> => {
    const envelope = { id: eventId, type: definition.type, occurredAt: new Date().toISOString(), aggregateId, payload };
    await producer.send({ topic: system.topic(definition.topic), messages: [{ key: aggregateId, value: JSON.stringify(envelope) }] });
  };

  const eventsOn = async (topic: string, aggregateId: string): Promise<Envelope[]> =>
    (await readTopic(kafka, system.topic(topic))).map((m) => JSON.parse(m.value!.toString('utf8')) as Envelope).filter((e) => e.aggregateId === aggregateId);

  const paymentEvents = (orderId: string): Promise<Envelope[]> => eventsOn(Topics.SettlementPayment, orderId);

  const wallet = async (account: Account): Promise<number> => {
    const response = await system.gateway.request('GET', '/api/v1/settlement/wallet', { token: account.token });
    expect(response.status).toBe(200);
    return (response.body.balances as { currency: string; balance: number }[]).find((b) => b.currency === 'CNY')?.balance ?? 0;
  };

  const createTopup = (account: Account, body: unknown, key = randomUUID()): Promise<ApiResponse> =>
    system.gateway.request('POST', '/api/v1/settlement/topups', { token: account.token, json: body, headers: { 'Idempotency-Key': key } });

  /** Tops up through the sandbox (which notifies twice) and waits for the credit. */
  const topUp = async (account: Account, amount: number): Promise<string> => {
    const before = await wallet(account);
    const created = await createTopup(account, { amount, currency: 'CNY', channel: 'standard' });
    expect(created.status).toBe(201);
    const paid = await system.gateway.request('POST', `/api/v1/settlement/topups/${created.body.id}/sandbox-pay`, { token: account.token });
    expect(paid.status).toBe(202);
    await eventually(() => wallet(account), (balance) => balance === before + amount, { what: 'the top-up credit' });
    return created.body.id as string;
  };

  const order = (buyerId: string, lines: { supplierId: string; quantity: number; unitPrice: number }[]): OrderPlacedPayload => {
    const full = lines.map((l) => ({ ...l, lineId: randomUUID(), offerId: randomUUID(), productId: randomUUID() }));
    return { orderId: randomUUID(), buyerId, currency: 'CNY', fulfilment: 'codes', lines: full, total: full.reduce((n, l) => n + l.quantity * l.unitPrice, 0) };
  };
  const reservedOf = (o: OrderPlacedPayload): { orderId: string; buyerId: string; expiresAt: string; lines: { lineId: string; offerId: string; quantity: number }[] } => ({
    orderId: o.orderId,
    buyerId: o.buyerId,
    expiresAt: new Date(Date.now() + 900_000).toISOString(),
    lines: o.lines.map(({ lineId, offerId, quantity }) => ({ lineId, offerId, quantity })),
  });

  beforeAll(async () => {
    system = await startSystem({
      label: 'settle',
      services: ['settlement'],
      serviceEnv: {
        settlement: {
          SANDBOX_PROVIDER_KEY: SANDBOX_KEY,
          DISPUTE_WINDOW_SECONDS: String(DISPUTE_WINDOW_SECONDS),
          ESCROW_RELEASE_INTERVAL_MS: '200',
          COMMISSION_RATE_BPS: '500',
        },
      },
    });
    operator = await system.bootstrapOperator();
    merchant = await system.createAccount(operator.token, 'merchant');
    kafka = await testKafka('settlement-e2e');
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    if (system) await expectLedgerConsistent(query);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await system?.stop();
  });

  describe('wallet top-up through the sandbox provider', () => {
    it('credits a paid top-up once although the provider notifies twice, and publishes the wallet change', async () => {
      const key = randomUUID();
      const created = await createTopup(merchant, { amount: 50_000, currency: 'CNY', channel: 'standard' }, key);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ amount: 50_000, currency: 'CNY', channel: 'standard', provider: 'sandbox', status: 'pending', paymentAction: { type: 'qr_code' } });
      const again = await createTopup(merchant, { amount: 50_000, currency: 'CNY', channel: 'standard' }, key);
      expect(again.body.id).toBe(created.body.id);

      const paid = await system.gateway.request('POST', `/api/v1/settlement/topups/${created.body.id}/sandbox-pay`, { token: merchant.token });
      expect(paid.status).toBe(202);
      // The sandbox notifies twice: one credit, one duplicate.
      const outcomes = await eventually(
        () => query<{ outcome: string }>(`SELECT outcome FROM provider_notification WHERE topup_id = $1 ORDER BY id`, [created.body.id]),
        (rows) => rows.length >= 2,
        { what: 'both sandbox notifications' },
      );
      expect(outcomes.map((r) => r.outcome)).toEqual(['credited', 'duplicate']);
      expect(await wallet(merchant)).toBe(50_000);
      const topup = await system.gateway.request('GET', `/api/v1/settlement/topups/${created.body.id}`, { token: merchant.token });
      expect(topup.body.status).toBe('succeeded');

      const changes = await eventually(() => eventsOn(Topics.SettlementWallet, merchant.organisationId), (events) => events.length >= 1);
      expect(changes.map((e) => e.payload)).toEqual([{ organisationId: merchant.organisationId, currency: 'CNY', balance: 50_000, sequence: 1 }]);
    });

    it('credits nothing more for a replayed valid notification, and refuses a forged one', async () => {
      const created = await createTopup(merchant, { amount: 7_000, currency: 'CNY', channel: 'standard' });
      const [row] = await query<{ provider_payment_id: string }>(`SELECT provider_payment_id FROM topup WHERE id = $1`, [created.body.id]);
      const fields: Omit<SandboxNotification, 'sign'> = {
        notify_id: randomUUID(),
        notify_time: new Date().toISOString(),
        trade_no: row!.provider_payment_id,
        out_trade_no: created.body.id,
        total_amount: '7000',
        currency: 'CNY',
        trade_status: 'TRADE_SUCCESS',
        sign_type: 'HMAC-SHA256',
      };
      const post = (body: unknown): Promise<Response> => fetch(notifyUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const before = await wallet(merchant);

      // Forged: signed with another key, or a signed notification with its amount raised.
      const forged = await post(signNotification(fields, 'not-the-provider-key-not-the-provider-key'));
      expect(forged.status).toBe(400);
      expect(forged.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await forged.json()) as { code: string }).code).toBe('invalid_notification_signature');
      const tampered = await post({ ...signNotification(fields, SANDBOX_KEY), total_amount: '7000000' });
      expect(tampered.status).toBe(400);
      expect(await wallet(merchant)).toBe(before);
      expect((await system.gateway.request('GET', `/api/v1/settlement/topups/${created.body.id}`, { token: merchant.token })).body.status).toBe('pending');

      // Genuine, then the same notification again.
      const signed = signNotification(fields, SANDBOX_KEY);
      expect((await post(signed)).status).toBe(200);
      expect((await post(signed)).status).toBe(200);
      expect(await wallet(merchant)).toBe(before + 7_000);
      const credits = await query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction WHERE idempotency_ref = $1`, [`topup:${created.body.id}`]);
      expect(credits[0]!.n).toBe(1);
    });

    it('refuses a payment over the channel limit with a stable code and stores nothing', async () => {
      const before = await query<{ n: number }>(`SELECT count(*)::int AS n FROM topup`);
      const over = await createTopup(merchant, { amount: 30_001, currency: 'CNY', channel: 'restricted' });
      expect(over.status).toBe(422);
      expect(over.contentType).toMatch(/application\/problem\+json/);
      expect(over.body).toMatchObject({ code: 'amount_over_channel_limit', channel: 'restricted', limit: 30_000 });
      expect((await query<{ n: number }>(`SELECT count(*)::int AS n FROM topup`))[0]!.n).toBe(before[0]!.n);

      expect((await createTopup(merchant, { amount: 30_000, currency: 'CNY', channel: 'restricted' })).status).toBe(201);
      expect((await createTopup(merchant, { amount: 100, currency: 'CNY', channel: 'nope' })).body.code).toBe('unknown_payment_channel');
      const invalid = await createTopup(merchant, { amount: 1.5, currency: 'CNY', channel: 'standard', extra: true });
      expect(invalid.status).toBe(400);
      expect(invalid.body.code).toBe('validation_failed');
      // Only merchants top up.
      expect((await createTopup(operator, { amount: 100, currency: 'CNY', channel: 'standard' })).status).toBe(403);
      const keyless = await system.gateway.request('POST', '/api/v1/settlement/topups', { token: merchant.token, json: { amount: 100, currency: 'CNY', channel: 'standard' } });
      expect({ status: keyless.status, code: keyless.body.code }).toEqual({ status: 400, code: 'idempotency_key_required' });
      expect((await query<{ n: number }>(`SELECT count(*)::int AS n FROM topup`))[0]!.n).toBe(before[0]!.n + 1);
    });

    it('lists an organisation’s own top-ups newest first, the pending ones by status, page by page, and nobody else’s', async () => {
      const payer = await system.createAccount(operator.token, 'merchant');
      const other = await system.createAccount(operator.token, 'merchant');
      const paidId = await topUp(payer, 1_000);
      const waiting: string[] = [];
      for (const amount of [2_000, 3_000, 4_000]) waiting.unshift((await createTopup(payer, { amount, currency: 'CNY', channel: 'standard' })).body.id);
      await createTopup(other, { amount: 5_000, currency: 'CNY', channel: 'standard' });
      const list = (account: Account, q: string): Promise<ApiResponse> => system.gateway.request('GET', `/api/v1/settlement/topups${q}`, { token: account.token });

      const all = await list(payer, '');
      expect(all.status).toBe(200);
      expect(all.body.items.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([...waiting.map((id) => [id, 'pending']), [paidId, 'succeeded']]);
      expect(all.body.nextCursor).toBeNull();
      // What the portal shows a payer coming back: the intents still waiting for the payment, with what to do next.
      const pending = await list(payer, '?status=pending&limit=2');
      expect(pending.body.items).toEqual([0, 1].map((i) => expect.objectContaining({ id: waiting[i], status: 'pending', paymentAction: expect.objectContaining({ url: expect.any(String) }) })));
      const rest = await list(payer, `?status=pending&limit=2&cursor=${pending.body.nextCursor}`);
      expect([rest.body.items.map((t: { id: string }) => t.id), rest.body.nextCursor]).toEqual([[waiting[2]], null]);

      expect((await list(other, '')).body.items.map((t: { organisationId: string }) => t.organisationId)).toEqual([other.organisationId]);
      const foreign = await list(other, `?organisationId=${payer.organisationId}`);
      expect([foreign.status, foreign.body.code]).toEqual([403, 'forbidden']);
      expect((await list(operator, `?organisationId=${payer.organisationId}&status=succeeded`)).body.items.map((t: { id: string }) => t.id)).toEqual([paidId]);
      expect((await list(payer, '?status=paid')).body.code).toBe('validation_failed');
      expect((await list(payer, '?cursor=bogus')).body.code).toBe('invalid_cursor');
    });
  });

  describe('order payment in the saga', () => {
    it('captures an order once into escrow however often its events arrive, refunds unallocated lines once, and releases escrow after the dispute window', async () => {
      const buyer = await system.createAccount(operator.token, 'merchant');
      await topUp(buyer, 100_000);
      const placed = order(buyer.organisationId, [
        { supplierId: supplierA, quantity: 5, unitPrice: 9_300 },
        { supplierId: supplierB, quantity: 7, unitPrice: 1_000 },
      ]);
      const placedEventId = randomUUID();
      const reservedEventId = randomUUID();
      await publish(OrderPlaced, placed.orderId, placed, placedEventId);
      await publish(OrderPlaced, placed.orderId, placed, placedEventId); // redelivered
      await publish(StockReserved, placed.orderId, reservedOf(placed), reservedEventId);
      await publish(StockReserved, placed.orderId, reservedOf(placed), reservedEventId); // redelivered
      await publish(StockReserved, placed.orderId, reservedOf(placed)); // the same fact in another event
      await publish(OrderPlaced, placed.orderId, placed);

      await eventually(() => query<{ n: number }>(`SELECT count(*)::int AS n FROM platform_inbox WHERE consumer LIKE '%order-payments'
        AND event_type IN ('ordering.order.placed', 'vault.allocation.reserved')`), (rows) => rows[0]!.n >= 4, { what: 'the order events handled' });
      const payments = await eventually(() => paymentEvents(placed.orderId), (events) => events.length >= 1);
      expect(payments.map((e) => [e.type, e.payload])).toEqual([
        ['settlement.payment.captured', { orderId: placed.orderId, buyerId: buyer.organisationId, amount: 53_500, currency: 'CNY' }],
      ]);
      expect(await wallet(buyer)).toBe(100_000 - 53_500);
      expect(await balanceOf(query, buyer.organisationId, 'order_escrow')).toBe(53_500);

      // The vault sold line 1 and could not sell line 2 (its reservation had expired).
      const [line1, line2] = placed.lines as [OrderPlacedPayload['lines'][number], OrderPlacedPayload['lines'][number]];
      const failedId = randomUUID();
      const failed = { orderId: placed.orderId, buyerId: buyer.organisationId, reason: 'reservation_expired' as const, lines: [{ lineId: line2.lineId, offerId: line2.offerId, quantity: 7 }] };
      await publish(AllocationFailed, placed.orderId, failed, failedId);
      await publish(AllocationFailed, placed.orderId, failed, failedId);
      await publish(AllocationFailed, placed.orderId, failed);
      await publish(CodesAllocated, placed.orderId, { orderId: placed.orderId, buyerId: buyer.organisationId, lines: [{ lineId: line1.lineId, offerId: line1.offerId, codeIds: ['1', '2', '3', '4', '5'] }] });
      await eventually(() => wallet(buyer), (balance) => balance === 100_000 - 46_500, { what: 'the refund of line 2' });

      // After the dispute window: supplier A's payable is its line less 5%, the platform keeps the 5%.
      await eventually(() => balanceOf(query, supplierA, 'supplier_payable'), (balance) => balance > 0, { what: 'the escrow release', timeoutMs: 30_000 });
      expect(await balanceOf(query, supplierA, 'supplier_payable')).toBe(46_500 - 2_325);
      expect(await balanceOf(query, supplierB, 'supplier_payable')).toBe(0);
      expect(await balanceOf(query, buyer.organisationId, 'order_escrow')).toBe(0);
      const revenue = await query<{ balance: string }>(`SELECT balance::text FROM ledger_account WHERE owner = 'platform' AND kind = 'platform_commission_revenue'`);
      expect(Number(revenue[0]!.balance)).toBeGreaterThanOrEqual(2_325);
      const movements = await query<{ kind: string; n: number }>(`SELECT kind, count(*)::int AS n FROM ledger_transaction WHERE reference = $1 GROUP BY kind ORDER BY kind`, [placed.orderId]);
      expect(movements).toEqual([
        { kind: 'escrow_release', n: 1 },
        { kind: 'order_capture', n: 1 },
        { kind: 'order_refund', n: 1 },
      ]);

      // Every wallet movement was published, in sequence.
      const changes = await eventually(() => eventsOn(Topics.SettlementWallet, buyer.organisationId), (events) => events.length >= 3);
      expect(changes.map((e) => [e.payload.balance, e.payload.sequence])).toEqual([
        [100_000, 1],
        [46_500, 2],
        [53_500, 3],
      ]);
    });

    it('captures an order whose stock reservation arrives before the order itself', async () => {
      const buyer = await system.createAccount(operator.token, 'merchant');
      await topUp(buyer, 20_000);
      const placed = order(buyer.organisationId, [{ supplierId: supplierA, quantity: 2, unitPrice: 5_000 }]);
      await publish(StockReserved, placed.orderId, reservedOf(placed));
      await eventually(() => query(`SELECT 1 FROM order_payment WHERE order_id = $1 AND reserved`, [placed.orderId]), (rows) => rows.length === 1, { what: 'the reservation recorded' });
      expect(await paymentEvents(placed.orderId)).toEqual([]);
      await publish(OrderPlaced, placed.orderId, placed);
      const payments = await eventually(() => paymentEvents(placed.orderId), (events) => events.length >= 1);
      expect(payments.map((e) => e.type)).toEqual(['settlement.payment.captured']);
      expect(await wallet(buyer)).toBe(10_000);
    });

    it('fails the payment of an order the wallet cannot cover, and moves nothing', async () => {
      const buyer = await system.createAccount(operator.token, 'merchant');
      await topUp(buyer, 1_000);
      const placed = order(buyer.organisationId, [{ supplierId: supplierB, quantity: 3, unitPrice: 400 }]);
      await publish(OrderPlaced, placed.orderId, placed);
      await publish(StockReserved, placed.orderId, reservedOf(placed));
      await publish(StockReserved, placed.orderId, reservedOf(placed));
      const payments = await eventually(() => paymentEvents(placed.orderId), (events) => events.length >= 1);
      expect(payments.map((e) => [e.type, e.payload])).toEqual([['settlement.payment.failed', { orderId: placed.orderId, reason: 'insufficient_balance' }]]);
      expect(await wallet(buyer)).toBe(1_000);
      expect(await query(`SELECT 1 FROM ledger_transaction WHERE reference = $1`, [placed.orderId])).toEqual([]);
      expect(await balanceOf(query, buyer.organisationId, 'order_escrow')).toBe(0);
    });
  });

  describe('balances and statements', () => {
    it("shows the caller's own accounts and entries as CSV, and another organisation's only to operators", async () => {
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const accounts = await system.gateway.request('GET', '/api/v1/settlement/accounts', { token: merchant.token });
      expect(accounts.status).toBe(200);
      expect(accounts.body.accounts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'merchant_wallet', currency: 'CNY', balance: await wallet(merchant) })]));

      const statement = await system.gateway.request('GET', `/api/v1/settlement/statements?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, { token: merchant.token, headers: { accept: 'text/csv' } });
      expect(statement.status).toBe(200);
      expect(statement.contentType).toMatch(/text\/csv/);
      const lines = statement.text.trim().split('\r\n');
      expect(lines[0]).toBe('entry_id,posted_at,transaction_id,transaction_kind,reference,account_kind,currency,amount,balance_after');
      expect(lines.slice(1).map((l) => l.split(',')[7])).toEqual(['50000', '7000']);

      const other = await system.gateway.request('GET', `/api/v1/settlement/wallet?organisationId=${operator.organisationId}`, { token: merchant.token });
      expect(other.status).toBe(403);
      const asOperator = await system.gateway.request('GET', `/api/v1/settlement/wallet?organisationId=${merchant.organisationId}`, { token: operator.token });
      expect(asOperator.status).toBe(200);
      expect(asOperator.body.balances).toEqual([{ currency: 'CNY', balance: 57_000, sequence: 2 }]);
      const badPeriod = await system.gateway.request('GET', `/api/v1/settlement/statements?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`, { token: merchant.token });
      expect(badPeriod.body.code).toBe('invalid_period');
    });
  });
});
