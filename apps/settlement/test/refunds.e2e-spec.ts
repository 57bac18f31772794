import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import {
  CodesAllocated,
  OrderPlaced,
  RefundRequested,
  StockReserved,
  Topics,
  type EventDefinition,
  type OrderPlacedPayload,
  type RefundRequestedPayload,
} from '@kami/contracts';
import { eventually, readTopic, startSystem, testKafka, type Account, type ApiResponse, type SystemHarness } from '@kami/testing';
import { balanceOf, expectLedgerConsistent } from './support/ledger-invariants';

interface Envelope {
  id: string;
  type: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

type Line = OrderPlacedPayload['lines'][number];

/**
 * Refunds and commission rates through the gateway and the real broker: refunds from escrow
 * before the release, after it from the commission, the supplier's payable and its deposit (or
 * refused with nothing written), never more codes than sold, once per Idempotency-Key or dispute
 * request however often it arrives; commission per supplier, per category and by default, used by
 * the release and audited. The dispute window is long here: a test ends it for one order by moving
 * its due time, and the release sweep (every 200 ms) does the rest. After every test the ledger
 * must balance and every cached balance equal its entries.
 */
describe('refunds and commission rates', () => {
  let system: SystemHarness;
  let kafka: Kafka;
  let producer: Producer;
  let operator: Account;
  let buyer: Account;
  let otherMerchant: Account;
  let supplier: Account;
  let otherSupplier: Account;

  const settlement = (): SystemHarness['services']['settlement'] & object => system.service('settlement');
  const query = <R>(sql: string, params?: unknown[]): Promise<R[]> => settlement().query<R>(sql, params);
  const count = async (sql: string, params?: unknown[]): Promise<number> => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params))[0]!.n;

  const publish = async <P extends object>(definition: EventDefinition<P>, aggregateId: string, payload: P, eventId = randomUUID()): Promise<void> => {
    const envelope = { id: eventId, type: definition.type, occurredAt: new Date().toISOString(), aggregateId, payload };
    await producer.send({ topic: system.topic(definition.topic), messages: [{ key: aggregateId, value: JSON.stringify(envelope) }] });
  };
  const eventsOn = async (topic: string, aggregateId: string): Promise<Envelope[]> =>
    (await readTopic(kafka, system.topic(topic))).map((m) => JSON.parse(m.value!.toString('utf8')) as Envelope).filter((e) => e.aggregateId === aggregateId);

  const wallet = (account: Account): Promise<number> => balanceOf(query, account.organisationId, 'merchant_wallet');
  const revenue = (): Promise<number> => balanceOf(query, 'platform', 'platform_commission_revenue');

  const topUp = async (account: Account, amount: number): Promise<void> => {
    const before = await wallet(account);
    const created = await system.gateway.request('POST', '/api/v1/settlement/topups', {
      token: account.token,
      json: { amount, currency: 'CNY', channel: 'standard' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(created.status).toBe(201);
    expect((await system.gateway.request('POST', `/api/v1/settlement/topups/${created.body.id}/sandbox-pay`, { token: account.token })).status).toBe(202);
    await eventually(() => wallet(account), (balance) => balance === before + amount, { what: 'the top-up credit' });
  };

  /** An order placed, reserved, paid and its codes sold, as ordering and the vault would report it. */
  const soldOrder = async (lines: { supplierId: string; quantity: number; unitPrice: number; categoryCode?: string }[]): Promise<{ orderId: string; lines: Line[] }> => {
    const full: Line[] = lines.map((l) => ({ ...l, lineId: randomUUID(), offerId: randomUUID(), productId: randomUUID() }));
    const orderId = randomUUID();
    const placed: OrderPlacedPayload = { orderId, buyerId: buyer.organisationId, currency: 'CNY', fulfilment: 'codes', lines: full, total: full.reduce((n, l) => n + l.quantity * l.unitPrice, 0) };
    await publish(OrderPlaced, orderId, placed);
    await publish(StockReserved, orderId, {
      orderId,
      buyerId: buyer.organisationId,
      expiresAt: new Date(Date.now() + 900_000).toISOString(),
      lines: full.map(({ lineId, offerId, quantity }) => ({ lineId, offerId, quantity })),
    });
    await eventually(() => query(`SELECT 1 FROM order_payment WHERE order_id = $1 AND status = 'captured'`, [orderId]), (rows) => rows.length === 1, { what: 'the capture' });
    let codeId = 1;
    await publish(CodesAllocated, orderId, {
      orderId,
      buyerId: buyer.organisationId,
      lines: full.map((l) => ({ lineId: l.lineId, offerId: l.offerId, codeIds: Array.from({ length: l.quantity }, () => String(codeId++)) })),
    });
    await eventually(
      () => count(`order_payment_line WHERE order_id = $1 AND status = 'allocated'`, [orderId]),
      (n) => n === full.length,
      { what: 'the codes sold' },
    );
    return { orderId, lines: full };
  };

  /** The order's dispute window ends now; the sweep releases it. */
  const release = async (orderId: string): Promise<void> => {
    await query(`UPDATE order_payment SET release_due_at = now() - interval '1 second' WHERE order_id = $1`, [orderId]);
    await eventually(() => query(`SELECT 1 FROM order_payment WHERE order_id = $1 AND released_at IS NOT NULL`, [orderId]), (rows) => rows.length === 1, { what: 'the release' });
  };

  /**
   * Fixtures written as the ledger records them, in one statement (the ledger's triggers and
   * checks still apply): a supplier's deposit top-up, or a payout that takes its payable down.
   */
  const postFixture = async (legs: [owner: string, kind: string, amount: number][]): Promise<void> => {
    for (const [owner, kind] of legs) await query(`INSERT INTO ledger_account (owner, kind, currency) VALUES ($1, $2, 'CNY') ON CONFLICT DO NOTHING`, [owner, kind]);
    await query(
      `WITH tx AS (INSERT INTO ledger_transaction (kind, reference, idempotency_ref) VALUES ('adjustment', 'test-fixture', gen_random_uuid()::text) RETURNING id)
       INSERT INTO ledger_entry (transaction_id, account_id, currency, amount)
       SELECT tx.id, a.id, 'CNY', l.amount FROM tx, unnest($1::text[], $2::text[], $3::bigint[]) AS l(owner, kind, amount)
         JOIN ledger_account a ON a.owner = l.owner AND a.kind = l.kind AND a.currency = 'CNY'`,
      [legs.map((l) => l[0]), legs.map((l) => l[1]), legs.map((l) => String(l[2]))],
    );
  };
  const fundDeposit = (supplierId: string, amount: number): Promise<void> =>
    postFixture([
      ['platform', 'provider_clearing', -amount],
      [supplierId, 'supplier_deposit', amount],
    ]);
  const payOut = (supplierId: string, amount: number): Promise<void> =>
    postFixture([
      [supplierId, 'supplier_payable', -amount],
      ['platform', 'provider_clearing', amount],
    ]);

  const refund = (body: Record<string, unknown>, key: string | null = randomUUID(), account = operator): Promise<ApiResponse> =>
    system.gateway.request('POST', '/api/v1/settlement/refunds', { token: account.token, json: body, headers: key ? { 'Idempotency-Key': key } : {} });
  const refundsOf = (orderId: string, account: Account): Promise<ApiResponse> =>
    system.gateway.request('GET', `/api/v1/settlement/refunds?orderId=${orderId}`, { token: account.token });

  /** What a refused refund must not have touched. */
  const snapshot = (orderId: string, supplierId: string): Promise<unknown> =>
    Promise.all([
      count('refund'),
      count('ledger_transaction'),
      query(`SELECT line_id::text, refunded_quantity FROM order_payment_line WHERE order_id = $1 ORDER BY line_id`, [orderId]),
      wallet(buyer),
      revenue(),
      balanceOf(query, supplierId, 'supplier_payable'),
      balanceOf(query, supplierId, 'supplier_deposit'),
    ]);

  beforeAll(async () => {
    system = await startSystem({
      label: 'refunds',
      services: ['settlement'],
      serviceEnv: { settlement: { DISPUTE_WINDOW_SECONDS: '3600', ESCROW_RELEASE_INTERVAL_MS: '200', COMMISSION_RATE_BPS: '500' } },
    });
    operator = await system.bootstrapOperator();
    [buyer, otherMerchant, supplier, otherSupplier] = await Promise.all([
      system.createAccount(operator.token, 'merchant'),
      system.createAccount(operator.token, 'merchant'),
      system.createAccount(operator.token, 'supplier'),
      system.createAccount(operator.token, 'supplier'),
    ]);
    kafka = await testKafka('refunds-e2e');
    producer = kafka.producer();
    await producer.connect();
    await topUp(buyer, 1_000_000);
  });

  afterEach(async () => {
    if (system) await expectLedgerConsistent(query);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await system?.stop();
  });

  describe('before the release', () => {
    it('refunds from escrow to the wallet once per Idempotency-Key, never more codes than sold, and releases only the rest', async () => {
      const { orderId, lines } = await soldOrder([{ supplierId: supplier.organisationId, quantity: 5, unitPrice: 2_000 }]);
      const lineId = lines[0]!.lineId;
      const walletBefore = await wallet(buyer);
      const escrowBefore = await balanceOf(query, buyer.organisationId, 'order_escrow');

      const key = randomUUID();
      const body = { orderId, lineId, quantity: 2, reason: 'code_invalid', note: 'two codes reported redeemed' };
      const first = await refund(body, key);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        orderId,
        lineId,
        buyerId: buyer.organisationId,
        supplierId: supplier.organisationId,
        quantity: 2,
        unitPrice: 2_000,
        amount: 4_000,
        currency: 'CNY',
        stage: 'before_release',
        fromEscrow: 4_000,
        commissionReversed: 0,
        fromPayable: 0,
        fromDeposit: 0,
      });
      const again = await refund(body, key);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
      // Even when the stored response is lost (the process died before storing it), the key refunds once.
      await query(`DELETE FROM platform_idempotency WHERE idempotency_key = $1`, [key]);
      expect((await refund(body, key)).body.id).toBe(first.body.id);
      const reused = await refund({ ...body, quantity: 1 }, key);
      expect({ status: reused.status, code: reused.body.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
      expect(await wallet(buyer)).toBe(walletBefore + 4_000);
      expect(await balanceOf(query, buyer.organisationId, 'order_escrow')).toBe(escrowBefore - 4_000);
      expect(await count(`ledger_transaction WHERE reference = $1 AND kind = 'refund_from_escrow'`, [orderId])).toBe(1);

      // 3 codes are left to refund.
      const over = await refund({ orderId, lineId, quantity: 4, reason: 'code_invalid' });
      expect(over.status).toBe(409);
      expect(over.contentType).toMatch(/application\/problem\+json/);
      expect(over.body).toMatchObject({ code: 'refund_exceeds_line', refundedQuantity: 2, refundable: 3 });
      const unknownLine = await refund({ orderId, lineId: randomUUID(), quantity: 1, reason: 'code_invalid' });
      expect({ status: unknownLine.status, code: unknownLine.body.code }).toEqual({ status: 404, code: 'order_line_not_found' });

      // Only operators refund, always with a key, with a valid body.
      expect((await refund(body, randomUUID(), buyer)).status).toBe(403);
      expect((await refund(body, randomUUID(), supplier)).status).toBe(403);
      expect((await refund(body, null)).body.code).toBe('idempotency_key_required');
      expect((await refund({ ...body, quantity: 0, extra: 1 })).body.code).toBe('validation_failed');
      expect((await refund({ ...body, reason: 'because' })).status).toBe(400);

      // The release pays the supplier for the 3 codes left, less 5%.
      const revenueBefore = await revenue();
      await release(orderId);
      expect(await balanceOf(query, supplier.organisationId, 'supplier_payable')).toBe(5_700);
      expect(await revenue()).toBe(revenueBefore + 300);
      expect(await balanceOf(query, buyer.organisationId, 'order_escrow')).toBe(escrowBefore - 10_000);
      const [line] = await query<Record<string, unknown>>(
        `SELECT status, refunded_quantity, released_quantity, commission_rate_bps, commission_rate_source, commission::int FROM order_payment_line WHERE line_id = $1`,
        [lineId],
      );
      expect(line).toEqual({ status: 'released', refunded_quantity: 2, released_quantity: 3, commission_rate_bps: 500, commission_rate_source: 'default', commission: 300 });

      // Who sees the order's refunds: the operator, the buyer, the supplier charged (without the buyer).
      expect((await refundsOf(orderId, operator)).body.items.map((r: { id: string }) => r.id)).toEqual([first.body.id]);
      expect((await refundsOf(orderId, buyer)).body.items).toEqual([first.body]);
      const asSupplier = (await refundsOf(orderId, supplier)).body.items as Record<string, unknown>[];
      expect(asSupplier).toHaveLength(1);
      expect(asSupplier[0]!.buyerId).toBeUndefined();
      expect((await refundsOf(orderId, otherMerchant)).body.items).toEqual([]);
      expect((await refundsOf(orderId, otherSupplier)).body.items).toEqual([]);

      // The buyer's statement shows the refund as its own kind of transaction.
      const from = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
      const to = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
      const statement = await system.gateway.request('GET', `/api/v1/settlement/statements?from=${from}&to=${to}`, { token: buyer.token });
      expect(statement.text).toMatch(new RegExp(`,refund_from_escrow,${orderId},merchant_wallet,CNY,4000,`));
    });
  });

  describe('after the release', () => {
    it("reverses the release for the refunded codes: commission back from revenue, the supplier's share from its payable", async () => {
      const { orderId, lines } = await soldOrder([{ supplierId: otherSupplier.organisationId, quantity: 4, unitPrice: 2_500 }]);
      await release(orderId);
      expect(await balanceOf(query, otherSupplier.organisationId, 'supplier_payable')).toBe(9_500);
      const walletBefore = await wallet(buyer);
      const revenueBefore = await revenue();

      const refunded = await refund({ orderId, lineId: lines[0]!.lineId, quantity: 1, reason: 'code_already_redeemed' });
      expect(refunded.status).toBe(201);
      expect(refunded.body).toMatchObject({ stage: 'after_release', amount: 2_500, fromEscrow: 0, commissionReversed: 125, fromPayable: 2_375, fromDeposit: 0 });
      expect(await wallet(buyer)).toBe(walletBefore + 2_500);
      expect(await revenue()).toBe(revenueBefore - 125);
      expect(await balanceOf(query, otherSupplier.organisationId, 'supplier_payable')).toBe(9_500 - 2_375);
      expect(await count(`ledger_transaction WHERE reference = $1 AND kind = 'refund_after_release'`, [orderId])).toBe(1);

      const completed = await eventually(() => eventsOn(Topics.SettlementRefund, orderId), (events) => events.length >= 1, { what: 'settlement.refund.completed' });
      expect(completed.map((e) => [e.type, e.payload])).toEqual([
        [
          'settlement.refund.completed',
          {
            refundId: refunded.body.id,
            orderId,
            lineId: lines[0]!.lineId,
            buyerId: buyer.organisationId,
            supplierId: otherSupplier.organisationId,
            quantity: 1,
            reason: 'code_already_redeemed',
            stage: 'after_release',
            amount: 2_500,
            currency: 'CNY',
            fromEscrow: 0,
            commissionReversed: 125,
            fromPayable: 2_375,
            fromDeposit: 0,
          },
        ],
      ]);
    });

    it("charges the deposit for what the payable cannot cover, and refuses with nothing written when neither can", async () => {
      const shortSupplier = await system.createAccount(operator.token, 'supplier');
      const { orderId, lines } = await soldOrder([{ supplierId: shortSupplier.organisationId, quantity: 4, unitPrice: 2_500 }]);
      const lineId = lines[0]!.lineId;
      await release(orderId);
      // Most of the payable was paid out; the deposit holds ¥50.
      await payOut(shortSupplier.organisationId, 8_500);
      await fundDeposit(shortSupplier.organisationId, 5_000);

      const refunded = await refund({ orderId, lineId, quantity: 2, reason: 'code_invalid' });
      expect(refunded.status).toBe(201);
      expect(refunded.body).toMatchObject({ stage: 'after_release', amount: 5_000, commissionReversed: 250, fromPayable: 1_000, fromDeposit: 3_750 });
      expect(await balanceOf(query, shortSupplier.organisationId, 'supplier_payable')).toBe(0);
      expect(await balanceOf(query, shortSupplier.organisationId, 'supplier_deposit')).toBe(1_250);

      // 2 more codes: the supplier's share is 4,750 and only 1,250 is left.
      const before = await snapshot(orderId, shortSupplier.organisationId);
      const refused = await refund({ orderId, lineId, quantity: 2, reason: 'code_invalid' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ code: 'refund_not_covered', supplierShare: 4_750, available: 1_250 });
      expect(await snapshot(orderId, shortSupplier.organisationId)).toEqual(before);

      // Once the deposit is topped up, the same refund goes through and the line is fully refunded.
      await fundDeposit(shortSupplier.organisationId, 3_500);
      const covered = await refund({ orderId, lineId, quantity: 2, reason: 'code_invalid' });
      expect(covered.body).toMatchObject({ commissionReversed: 250, fromPayable: 0, fromDeposit: 4_750 });
      expect(await balanceOf(query, shortSupplier.organisationId, 'supplier_deposit')).toBe(0);
      // Every fen the release paid for this line went back: commission 500 = 250 + 250.
      expect(await query(`SELECT sum(commission_reversed)::int AS back FROM refund WHERE line_id = $1`, [lineId])).toEqual([{ back: 500 }]);
      expect((await refund({ orderId, lineId, quantity: 1, reason: 'code_invalid' })).body).toMatchObject({ code: 'refund_exceeds_line', refundable: 0 });
    });
  });

  describe('refunds requested by disputes over Kafka', () => {
    it('refunds a request once however often it arrives, and answers a refusal with its code', async () => {
      const { orderId, lines } = await soldOrder([{ supplierId: supplier.organisationId, quantity: 3, unitPrice: 1_000 }]);
      const lineId = lines[0]!.lineId;
      const walletBefore = await wallet(buyer);
      const request: RefundRequestedPayload = { requestId: randomUUID(), disputeId: randomUUID(), orderId, lineId, quantity: 2, reason: 'code_invalid' };
      const eventId = randomUUID();
      await publish(RefundRequested, lineId, request, eventId);
      await publish(RefundRequested, lineId, request, eventId); // redelivered
      await publish(RefundRequested, lineId, request); // sent again in another event
      // Then: 2 more codes (only 1 is left), and the first request id with another quantity.
      const tooMany: RefundRequestedPayload = { ...request, requestId: randomUUID(), quantity: 2 };
      const conflicting: RefundRequestedPayload = { ...request, quantity: 1 };
      await publish(RefundRequested, lineId, tooMany);
      await publish(RefundRequested, lineId, conflicting);

      const answers = await eventually(() => eventsOn(Topics.SettlementRefund, orderId), (events) => events.length >= 4, { what: 'the answers to every request' });
      expect(answers.map((e) => [e.type, e.payload.requestId, e.payload.code])).toEqual([
        ['settlement.refund.completed', request.requestId, undefined],
        ['settlement.refund.completed', request.requestId, undefined], // the repeated request, answered again
        ['settlement.refund.refused', tooMany.requestId, 'refund_exceeds_line'],
        ['settlement.refund.refused', request.requestId, 'refund_request_conflict'],
      ]);
      expect(answers[0]!.payload.refundId).toBe(answers[1]!.payload.refundId);
      expect(await count(`refund WHERE order_id = $1`, [orderId])).toBe(1);
      expect(await wallet(buyer)).toBe(walletBefore + 2_000);
      const [row] = await query<Record<string, unknown>>(`SELECT request_id::text, dispute_id::text, quantity, stage FROM refund WHERE order_id = $1`, [orderId]);
      expect(row).toEqual({ request_id: request.requestId, dispute_id: request.disputeId, quantity: 2, stage: 'before_release' });
    });
  });

  describe('commission rates', () => {
    it("applies the supplier's rate over its category's over the default at release, from the moment they are set, and audits every change", async () => {
      const [ownRate, byCategory] = await Promise.all([system.createAccount(operator.token, 'supplier'), system.createAccount(operator.token, 'supplier')]);
      const put = (path: string, rateBps: unknown, account = operator): Promise<ApiResponse> =>
        system.gateway.request('PUT', `/api/v1/settlement/commission-rates/${path}`, { token: account.token, json: { rateBps } });

      // An order sold before any rate was set, released after: the rates in force at the release apply.
      const { orderId, lines } = await soldOrder([
        { supplierId: ownRate.organisationId, quantity: 2, unitPrice: 10_000, categoryCode: 'game-cards.mobile' },
        { supplierId: byCategory.organisationId, quantity: 1, unitPrice: 10_000, categoryCode: 'game-cards.mobile' },
        { supplierId: byCategory.organisationId, quantity: 1, unitPrice: 10_000, categoryCode: 'software' },
      ]);
      expect((await put(`suppliers/${ownRate.organisationId}`, 100)).body).toMatchObject({ scope: 'supplier', subject: ownRate.organisationId, rateBps: 100 });
      expect((await put('categories/game-cards', 250)).status).toBe(200);
      expect((await put('categories/game-cards', 300)).body).toMatchObject({ scope: 'category', subject: 'game-cards', rateBps: 300 });
      expect((await put('categories/game-cards', 300)).status).toBe(200); // no change, no audit row

      // Only operators, only valid rates and codes.
      expect((await put('categories/software', 0, supplier)).status).toBe(403);
      expect((await put('categories/software', 0, buyer)).status).toBe(403);
      expect((await system.gateway.request('GET', '/api/v1/settlement/commission-rates', { token: supplier.token })).status).toBe(403);
      expect((await put('categories/software', 10_001)).body.code).toBe('validation_failed');
      expect((await put('categories/software', 1.5)).body.code).toBe('validation_failed');
      expect((await put('categories/GAME.cards', 100)).body.code).toBe('validation_failed');
      expect((await put('suppliers/not-a-uuid', 100)).status).toBe(400);

      const revenueBefore = await revenue();
      await release(orderId);
      const used = await query<{ line_id: string; commission_rate_bps: number; commission_rate_source: string; commission: number }>(
        `SELECT line_id::text, commission_rate_bps, commission_rate_source, commission::int FROM order_payment_line WHERE order_id = $1`,
        [orderId],
      );
      const byLine = new Map(used.map((u) => [u.line_id, [u.commission_rate_bps, u.commission_rate_source, u.commission]]));
      expect(lines.map((l) => byLine.get(l.lineId))).toEqual([
        [100, 'supplier', 200],
        [300, 'category', 300],
        [500, 'default', 500],
      ]);
      expect(await balanceOf(query, ownRate.organisationId, 'supplier_payable')).toBe(20_000 - 200);
      expect(await balanceOf(query, byCategory.organisationId, 'supplier_payable')).toBe(20_000 - 800);
      expect(await revenue()).toBe(revenueBefore + 1_000);

      // Removing the supplier's rate: its category's applies to later releases; the audit keeps old → new.
      const removed = await system.gateway.request('DELETE', `/api/v1/settlement/commission-rates/suppliers/${ownRate.organisationId}`, { token: operator.token });
      expect(removed.status).toBe(204);
      const listed = await system.gateway.request('GET', '/api/v1/settlement/commission-rates', { token: operator.token });
      expect(listed.body).toMatchObject({ defaultRateBps: 500, suppliers: [], categories: [{ scope: 'category', subject: 'game-cards', rateBps: 300, updatedBy: operator.organisationId }] });
      const changes = await system.gateway.request('GET', '/api/v1/settlement/commission-rates/changes?limit=2', { token: operator.token });
      expect(changes.body.items.map((c: Record<string, unknown>) => [c.scope, c.subject, c.oldRateBps, c.newRateBps, c.changedByOrganisation])).toEqual([
        ['supplier', ownRate.organisationId, 100, null, operator.organisationId],
        ['category', 'game-cards', 250, 300, operator.organisationId],
      ]);
      const older = await system.gateway.request('GET', `/api/v1/settlement/commission-rates/changes?limit=2&cursor=${changes.body.nextCursor}`, { token: operator.token });
      expect(older.body.items.map((c: Record<string, unknown>) => [c.subject, c.oldRateBps, c.newRateBps])).toEqual([
        ['game-cards', null, 250],
        [ownRate.organisationId, null, 100],
      ]);
      expect(older.body.nextCursor).toBeNull();

      const later = await soldOrder([{ supplierId: ownRate.organisationId, quantity: 1, unitPrice: 10_000, categoryCode: 'game-cards.mobile' }]);
      await release(later.orderId);
      expect(await query(`SELECT commission_rate_bps, commission_rate_source FROM order_payment_line WHERE order_id = $1`, [later.orderId])).toEqual([
        { commission_rate_bps: 300, commission_rate_source: 'category' },
      ]);
      // A refund after the release gives back the commission at the rate that release used.
      const refunded = await refund({ orderId, lineId: lines[0]!.lineId, quantity: 1, reason: 'operator_decision' });
      expect(refunded.body).toMatchObject({ stage: 'after_release', commissionReversed: 100, fromPayable: 9_900 });
      expect((await system.gateway.request('DELETE', '/api/v1/settlement/commission-rates/categories/game-cards', { token: operator.token })).status).toBe(204);
    });
  });
});
