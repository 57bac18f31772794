import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { OrderCancelled, OrderPlaced, PaymentCaptured, Topics, type EventDefinition } from '@kami/contracts';
import { eventually, readTopic, signServiceToken, startSystem, testKafka, type Account, type ApiResponse, type SystemHarness } from '@kami/testing';
import { seedOffer } from './support/vault-fixtures';

/**
 * The vault's part of the order saga over the real broker, and invariant 5: while codes are
 * uploaded (with refusals), reserved, sold and revealed, no plaintext code or PIN reaches a log
 * line, a Kafka message or an error body. Every response, every line the processes print and
 * every message on the topics involved is kept and searched for every uploaded secret.
 */
describe('vault in the order saga, and plaintext staying in the vault', () => {
  let system: SystemHarness;
  let kafka: Kafka;
  let producer: Producer;
  let supplier: Account;
  const bodies: string[] = [];
  const secrets: string[] = [];

  const api = async (method: string, path: string, options: Parameters<SystemHarness['gateway']['request']>[2] = {}): Promise<ApiResponse> => {
    const response = await system.gateway.request(method, path, { token: supplier.token, ...options });
    bodies.push(response.text);
    return response;
  };

  const publish = async <P extends object>(definition: EventDefinition<P>, aggregateId: string, payload: P, eventId = randomUUID()): Promise<void> => {
    const envelope = { id: eventId, type: definition.type, occurredAt: new Date().toISOString(), aggregateId, payload };
    await producer.send({ topic: system.topic(definition.topic), messages: [{ key: aggregateId, value: JSON.stringify(envelope) }] });
  };

  const allocationEvents = async (orderId: string): Promise<{ type: string; payload: Record<string, unknown> }[]> =>
    (await readTopic(kafka, system.topic(Topics.VaultAllocation)))
      .map((m) => JSON.parse(m.value!.toString('utf8')) as { type: string; aggregateId: string; payload: Record<string, unknown> })
      .filter((e) => e.aggregateId === orderId);

  const uploadCodes = async (offerId: string, count: number, tag: string): Promise<void> => {
    const codes = Array.from({ length: count }, (_, i) => {
      const code = `${tag}${String(i).padStart(6, '0')}${randomUUID().replace(/-/g, '').slice(0, 6).toUpperCase()}`;
      // Letters and digits: a purely numeric PIN could turn up by chance inside a timestamp.
      const pin = `P${randomUUID().replace(/-/g, '').slice(0, 9).toUpperCase()}`;
      secrets.push(code, pin);
      return { code, pin };
    });
    const response = await api('POST', '/api/v1/vault/batches', { json: { offerId, codes }, headers: { 'Idempotency-Key': randomUUID() } });
    expect(response.status).toBe(201);
    expect(response.body.accepted).toBe(count);
  };

  beforeAll(async () => {
    system = await startSystem({ label: 'vsaga', services: ['vault'], serviceEnv: { vault: { LOG_LEVEL: 'debug', STOCK_EVENT_INTERVAL_MS: '100' } } });
    const operator = await system.bootstrapOperator();
    supplier = await system.createAccount(operator.token, 'supplier');
    kafka = await testKafka('vault-saga-test');
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await system?.stop();
  });

  it('reserves an order once however often it is delivered, sells it on payment, and reveals only to the buyer', async () => {
    const vault = system.service('vault');
    const { offerId: offerA } = await seedOffer(vault, { supplierId: supplier.organisationId, codePattern: '^[A-Z0-9]{16}$', pinPolicy: 'required', pinPattern: '^P[0-9A-F]{9}$' });
    const { offerId: offerB } = await seedOffer(vault, { supplierId: supplier.organisationId, codePattern: '^[A-Z0-9]{16}$', pinPolicy: 'required', pinPattern: '^P[0-9A-F]{9}$' });
    await uploadCodes(offerA, 30, 'AAAA');
    await uploadCodes(offerB, 30, 'BBBB');

    // Refused lines and bad requests: their error bodies and logs are searched too.
    const refusedCode = 'ZZZZ' + randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
    secrets.push(refusedCode, 'bad-format-code-xyz');
    const refused = await api('POST', '/api/v1/vault/batches', {
      json: { offerId: offerA, codes: [{ code: refusedCode, pin: 'short' }, { code: 'bad-format-code-xyz', pin: 'P0123456789' }, { code: secrets[0], pin: secrets[1] }] },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(refused.status).toBe(201);
    expect(refused.body.accepted).toBe(0);
    const invalid = await api('POST', '/api/v1/vault/batches', { json: { offerId: offerA, codes: [{ code: refusedCode, pin: 12345678, extra: refusedCode }] }, headers: { 'Idempotency-Key': randomUUID() } });
    expect(invalid.status).toBe(400);

    const orderId = randomUUID();
    const buyerId = randomUUID();
    const lines = [
      { lineId: randomUUID(), offerId: offerA, productId: randomUUID(), quantity: 5, supplierId: supplier.organisationId, unitPrice: 9300 },
      { lineId: randomUUID(), offerId: offerB, productId: randomUUID(), quantity: 7, supplierId: supplier.organisationId, unitPrice: 9450 },
    ];
    const placed = { orderId, buyerId, lines, currency: 'CNY', fulfilment: 'codes' as const, total: 5 * 9300 + 7 * 9450 };
    const placedId = randomUUID();
    await publish(OrderPlaced, orderId, placed, placedId);
    await publish(OrderPlaced, orderId, placed, placedId); // the same event redelivered
    await publish(OrderPlaced, orderId, placed); // the same order published twice
    await eventually(() => allocationEvents(orderId), (events) => events.length >= 1);

    // Reserved once: one event, one reservation per line, the counts moved once.
    await eventually(async () => (await vault.query(`SELECT count(*)::int AS n FROM platform_inbox WHERE consumer LIKE '%order-saga'`))[0]!.n as number, (n) => n >= 2);
    const reservedEvents = (await allocationEvents(orderId)).filter((e) => e.type === 'vault.allocation.reserved');
    expect(reservedEvents).toHaveLength(1);
    expect(reservedEvents[0]!.payload).toEqual({ orderId, buyerId, expiresAt: expect.any(String), lines: lines.map(({ lineId, offerId, quantity }) => ({ lineId, offerId, quantity })) });
    const reservations = await vault.query<{ id: string; quantity: number; status: string }>(`SELECT id::text, quantity, status FROM reservation WHERE order_id = $1 ORDER BY quantity`, [orderId]);
    expect(reservations).toEqual([
      { id: lines[0]!.lineId, quantity: 5, status: 'held' },
      { id: lines[1]!.lineId, quantity: 7, status: 'held' },
    ]);

    // Payment captured (twice): sold once, code ids per line.
    const capturedId = randomUUID();
    await publish(PaymentCaptured, orderId, { orderId, buyerId, amount: 1200, currency: 'CNY' }, capturedId);
    await publish(PaymentCaptured, orderId, { orderId, buyerId, amount: 1200, currency: 'CNY' });
    const committed = await eventually(
      async () => (await allocationEvents(orderId)).filter((e) => e.type === 'vault.allocation.committed'),
      (events) => events.length >= 1,
    );
    expect(committed).toHaveLength(1);
    const soldLines = committed[0]!.payload.lines as { lineId: string; offerId: string; codeIds: string[] }[];
    expect(soldLines.map((l) => [l.lineId, l.codeIds.length]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      [lines[0]!.lineId, 5],
      [lines[1]!.lineId, 7],
    ]);
    const stock = await vault.query<{ offer_id: string; available: string; sold: string }>(`SELECT offer_id::text, available::text, sold::text FROM offer_stock ORDER BY sold`);
    expect(stock.map((s) => [s.available, s.sold])).toEqual([
      ['25', '5'],
      ['23', '7'],
    ]);

    // Reveal: plaintext for the buyer's own codes only, through the service-authenticated call.
    const codeIds = soldLines.flatMap((l) => l.codeIds);
    const reveal = (buyer: string): Promise<Response> => {
      const body = JSON.stringify({ buyerId: buyer, orderId, channel: 'portal' });
      const token = signServiceToken('delivery', 'vault', { method: 'POST', path: '/internal/v1/reveals', body }, system.secrets.serviceKeys.delivery.privateKey);
      return fetch(`${vault.url}/internal/v1/reveals`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-kami-service': token }, body });
    };
    const stranger = await reveal(randomUUID());
    const strangerText = await stranger.text();
    bodies.push(strangerText);
    expect(stranger.status).toBe(404);
    const revealed = await reveal(buyerId);
    expect(revealed.status).toBe(200);
    const plain = (await revealed.json()) as { codes: { codeId: string; code: string; pin?: string }[] };
    expect(plain.codes.map((c) => c.codeId).sort()).toEqual([...codeIds].sort());
    // Positive control for the search below: the secrets are really the uploaded ones.
    for (const c of plain.codes) {
      expect(secrets).toContain(c.code);
      expect(secrets).toContain(c.pin);
    }
  });

  it('rejects an order it cannot fill with the shortfall per offer, and releases a cancelled one', async () => {
    const vault = system.service('vault');
    const { offerId } = await seedOffer(vault, { supplierId: supplier.organisationId, codePattern: '^[A-Z0-9]{16}$', pinPolicy: 'required', pinPattern: '^P[0-9A-F]{9}$' });
    await uploadCodes(offerId, 10, 'CCCC');

    const tooBig = randomUUID();
    const line = (quantity: number) => ({ lineId: randomUUID(), offerId, productId: randomUUID(), quantity, supplierId: supplier.organisationId, unitPrice: 100 });
    await publish(OrderPlaced, tooBig, { orderId: tooBig, buyerId: randomUUID(), lines: [line(11)], currency: 'CNY', fulfilment: 'codes', total: 1100 });
    const rejected = await eventually(() => allocationEvents(tooBig), (events) => events.length >= 1);
    expect(rejected[0]).toMatchObject({ type: 'vault.allocation.rejected', payload: { reason: 'insufficient_stock', shortfall: [{ offerId, requested: 11, available: 10 }] } });

    const cancelled = randomUUID();
    await publish(OrderPlaced, cancelled, { orderId: cancelled, buyerId: randomUUID(), lines: [line(4)], currency: 'CNY', fulfilment: 'codes', total: 400 });
    await eventually(() => allocationEvents(cancelled), (events) => events.length >= 1);
    await publish(OrderCancelled, cancelled, { orderId: cancelled, reason: 'cancelled_by_buyer' });
    const released = await eventually(
      async () => (await allocationEvents(cancelled)).filter((e) => e.type === 'vault.allocation.released'),
      (events) => events.length >= 1,
    );
    expect(released[0]!.payload).toEqual({ orderId: cancelled, reason: 'cancelled' });
    const [stock] = await vault.query<{ available: string; reserved: string }>(`SELECT available::text, reserved::text FROM offer_stock WHERE offer_id = $1`, [offerId]);
    expect(stock).toEqual({ available: '10', reserved: '0' });
  });

  it('never let a plaintext code or PIN into a log line, a Kafka message or a response body (reveal aside)', async () => {
    // Let the stock publisher and the relay flush what is pending, so their messages are searched too.
    await eventually(
      async () => (await system.service('vault').query<{ n: number }>(`SELECT count(*)::int AS n FROM platform_outbox WHERE published_at IS NULL`))[0]!.n,
      (n) => n === 0,
    );
    const topics = [Topics.VaultAllocation, Topics.VaultStock, Topics.OrderingOrder, Topics.SettlementPayment, `${Topics.OrderingOrder}.dlt`, `${Topics.SettlementPayment}.dlt`];
    const messages: string[] = [];
    for (const topic of topics) {
      for (const m of await readTopic(kafka, system.topic(topic)).catch(() => [])) messages.push(`${m.key?.toString() ?? ''} ${m.value?.toString() ?? ''}`);
    }
    const logs = [system.service('vault').process.output(), system.gateway.process.output()];
    expect(messages.length).toBeGreaterThan(5);
    expect(logs.join('').length).toBeGreaterThan(1000);
    expect(secrets.length).toBeGreaterThan(100);
    const haystacks = { kafka: messages.join('\n'), logs: logs.join('\n'), responses: bodies.join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      const leaked = secrets.filter((s) => text.includes(s));
      expect({ where, leaked }).toEqual({ where, leaked: [] });
    }
  });
});
