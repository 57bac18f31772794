import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { Topics } from '@kami/contracts';
import { createServiceDataSource, OutboxWriter, type Messaging } from '@kami/platform';
import { eventually, readTopic, startSystem, testKafka, type Account, type ApiResponse, type JsonBody, type SystemHarness } from '@kami/testing';
import { SETTLEMENT_ENTITIES, SETTLEMENT_MIGRATIONS } from '../src/database/settlement.migrations';
import { Ledger } from '../src/ledger/ledger';
import { transfer } from '../src/ledger/ledger-rules';
import { balanceOf, expectLedgerConsistent } from './support/ledger-invariants';

const MINIMUM = 100_000;
const PDF_PROOF = { fileName: 'agreement.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.7\n% agreement\n').toString('base64') };

interface Envelope {
  type: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

/**
 * Supplier deposits (保证金) through the gateway, with the real catalog and settlement: a supplier
 * funds its deposit through the sandbox provider like a merchant its wallet, settlement publishes
 * the deposit's status against the minimum, and the catalog lets offers be active only while it
 * covers it — refusing activation before, pausing active offers when it falls short, resuming
 * them when it covers again. After every test the ledger must balance.
 */
describe('supplier deposits', () => {
  let system: SystemHarness;
  let kafka: Kafka;
  let operator: Account;
  let supplier: Account;
  let otherSupplier: Account;
  let merchant: Account;
  let productId: string;

  const settlementQuery = <R>(sql: string, params?: unknown[]): Promise<R[]> => system.service('settlement').query<R>(sql, params);
  const catalogQuery = <R>(sql: string, params?: unknown[]): Promise<R[]> => system.service('catalog').query<R>(sql, params);
  const catalog = (account: Account, method: string, path: string, json?: unknown): Promise<ApiResponse> =>
    system.gateway.request(method, `/api/v1/catalog${path}`, { token: account.token, json });
  const deposit = (account: Account, organisationId?: string): Promise<ApiResponse> =>
    system.gateway.request('GET', `/api/v1/settlement/deposit${organisationId ? `?organisationId=${organisationId}` : ''}`, { token: account.token });

  const created = async (response: Promise<ApiResponse>): Promise<JsonBody> => {
    const answer = await response;
    if (answer.status !== 201) throw new Error(`expected 201, got ${answer.status}: ${answer.text}`);
    return answer.body;
  };

  const eventsOn = async (topic: string, aggregateId: string): Promise<Envelope[]> =>
    (await readTopic(kafka, system.topic(topic))).map((m) => JSON.parse(m.value!.toString('utf8')) as Envelope).filter((e) => e.aggregateId === aggregateId);

  /** Funds the supplier's deposit through the sandbox provider (which notifies twice) and waits for the credit. */
  const fundDeposit = async (account: Account, amount: number): Promise<JsonBody> => {
    const before = (await deposit(account)).body.balance as number;
    const topup = await created(
      system.gateway.request('POST', '/api/v1/settlement/topups', { token: account.token, json: { amount, currency: 'CNY', channel: 'standard' }, headers: { 'Idempotency-Key': randomUUID() } }),
    );
    const paid = await system.gateway.request('POST', `/api/v1/settlement/topups/${topup.id}/sandbox-pay`, { token: account.token });
    expect(paid.status).toBe(202);
    await eventually(() => deposit(account), (r) => r.body?.balance === before + amount, { what: `the deposit top-up ${topup.id} credited` });
    return topup;
  };

  /** Waits until the catalog holds the supplier's deposit as `covered`. */
  const catalogSees = (account: Account, covered: boolean): Promise<unknown> =>
    eventually(
      () => catalogQuery<{ covered: boolean }>(`SELECT covered FROM supplier_deposit WHERE supplier_id = $1`, [account.organisationId]),
      (rows) => rows[0]?.covered === covered,
      { what: `the catalog to hold the deposit of ${account.organisationId} as ${covered ? 'covered' : 'not covered'}` },
    );

  const draftOffer = async (account: Account): Promise<string> =>
    (await created(catalog(account, 'POST', '/offers', { productId, sku: `SKU-${randomUUID().slice(0, 8)}`, priceTiers: [{ minQuantity: 1, unitPrice: 9_500 }] }))).id;

  const offer = async (account: Account, offerId: string): Promise<JsonBody> => (await catalog(account, 'GET', `/offers/${offerId}`)).body;

  const authorisedSupplier = async (brandId: string): Promise<Account> => {
    const account = await system.createAccount(operator.token, 'supplier');
    const application = await created(catalog(account, 'POST', '/brand-authorisations', { brandId, proof: PDF_PROOF }));
    const approved = await catalog(operator, 'POST', `/brand-authorisations/${application.id}/approve`, { expiresAt: new Date(Date.now() + 365 * 86_400_000).toISOString() });
    expect(approved.status).toBe(200);
    return account;
  };

  beforeAll(async () => {
    system = await startSystem({
      label: 'deposits',
      services: ['catalog', 'settlement'],
      serviceEnv: { settlement: { SUPPLIER_DEPOSIT_MINIMUM: String(MINIMUM) } },
    });
    operator = await system.bootstrapOperator();
    const brandId = (await created(catalog(operator, 'POST', '/brands', { name: `Steam ${randomUUID().slice(0, 6)}` }))).id;
    productId = (
      await created(
        catalog(operator, 'POST', '/products', {
          name: `Steam Wallet CN ¥100 ${randomUUID().slice(0, 6)}`,
          brandId,
          categoryCode: 'game-cards.pc',
          faceValue: 10_000,
          region: 'CN',
          codeFormat: { codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){2}', pin: 'none' },
        }),
      )
    ).id;
    [supplier, otherSupplier] = [await authorisedSupplier(brandId), await authorisedSupplier(brandId)];
    merchant = await system.createAccount(operator.token, 'merchant');
    kafka = await testKafka('deposits-e2e');
  });

  afterEach(async () => {
    if (system) await expectLedgerConsistent(settlementQuery);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("refuses to activate an offer until a deposit top-up covers the minimum, then allows it", async () => {
    const offerId = await draftOffer(supplier);
    // The supplier's registration gave it a first status: nothing held, not covered.
    await catalogSees(supplier, false);
    const refused = await catalog(supplier, 'POST', `/offers/${offerId}/activate`);
    expect(refused.status).toBe(409);
    expect(refused.contentType).toMatch(/application\/problem\+json/);
    expect(refused.body.code).toBe('deposit_insufficient');
    expect((await offer(supplier, offerId)).status).toBe('draft');
    expect((await deposit(supplier)).body).toEqual({ supplierId: supplier.organisationId, currency: 'CNY', balance: 0, minimum: MINIMUM, covered: false });

    const first = await fundDeposit(supplier, 60_000);
    expect(first).toMatchObject({ organisationId: supplier.organisationId, purpose: 'deposit', amount: 60_000, status: 'pending' });
    expect((await deposit(supplier)).body).toMatchObject({ balance: 60_000, covered: false });
    expect((await catalog(supplier, 'POST', `/offers/${offerId}/activate`)).body.code).toBe('deposit_insufficient');

    await fundDeposit(supplier, 40_000);
    expect((await deposit(supplier)).body).toEqual({ supplierId: supplier.organisationId, currency: 'CNY', balance: MINIMUM, minimum: MINIMUM, covered: true });
    await catalogSees(supplier, true);
    const activated = await catalog(supplier, 'POST', `/offers/${offerId}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({ status: 'active', pausedReason: null });

    // Each status went out once, in sequence; the money sits in the deposit, not in a wallet.
    const statuses = await eventually(() => eventsOn(Topics.SettlementDeposit, supplier.organisationId), (events) => events.length >= 3);
    expect(statuses.map((e) => e.payload)).toEqual([
      { supplierId: supplier.organisationId, currency: 'CNY', balance: 0, minimum: MINIMUM, covered: false, sequence: 1 },
      { supplierId: supplier.organisationId, currency: 'CNY', balance: 60_000, minimum: MINIMUM, covered: false, sequence: 2 },
      { supplierId: supplier.organisationId, currency: 'CNY', balance: MINIMUM, minimum: MINIMUM, covered: true, sequence: 3 },
    ]);
    expect(await balanceOf(settlementQuery, supplier.organisationId, 'supplier_deposit')).toBe(MINIMUM);
    expect(await balanceOf(settlementQuery, supplier.organisationId, 'merchant_wallet')).toBe(0);
    const kinds = await settlementQuery<{ kind: string }>(`SELECT kind FROM ledger_transaction WHERE idempotency_ref = $1`, [`topup:${first.id}`]);
    expect(kinds).toEqual([{ kind: 'deposit_topup' }]);
  });

  it('shows a deposit to its supplier and to operators, never to another organisation', async () => {
    expect((await deposit(otherSupplier)).body).toMatchObject({ supplierId: otherSupplier.organisationId, balance: 0, covered: false });
    const other = await deposit(otherSupplier, supplier.organisationId);
    expect({ status: other.status, code: other.body.code }).toEqual({ status: 403, code: 'forbidden' });
    expect((await deposit(merchant)).status).toBe(403);
    expect((await deposit(merchant, supplier.organisationId)).status).toBe(403);
    expect((await deposit(operator, supplier.organisationId)).body).toMatchObject({ supplierId: supplier.organisationId, balance: MINIMUM, covered: true });
    expect((await deposit(operator)).body.code).toBe('organisation_id_required');

    // Deposits are held in CNY; a merchant's top-up still goes to its wallet.
    const usd = await system.gateway.request('POST', '/api/v1/settlement/topups', {
      token: otherSupplier.token,
      json: { amount: 100_000, currency: 'USD', channel: 'standard' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect({ status: usd.status, code: usd.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    const walletTopup = await created(
      system.gateway.request('POST', '/api/v1/settlement/topups', { token: merchant.token, json: { amount: 5_000, currency: 'CNY', channel: 'standard' }, headers: { 'Idempotency-Key': randomUUID() } }),
    );
    expect(walletTopup.purpose).toBe('wallet');
  });

  describe('when the deposit falls below the minimum', () => {
    let dataSource: DataSource;
    let ledger: Ledger;

    beforeAll(async () => {
      // Nothing in the API takes money out of a deposit yet (refunds charged to deposits will):
      // settlement's own Ledger posts an adjustment in settlement's database, and the running
      // service's relay publishes the status it writes to the outbox.
      dataSource = createServiceDataSource({ url: system.service('settlement').database.url, service: 'settlement-test', entities: SETTLEMENT_ENTITIES, migrations: SETTLEMENT_MIGRATIONS });
      await dataSource.initialize();
      ledger = new Ledger({ outbox: new OutboxWriter() } as unknown as Messaging, { SUPPLIER_DEPOSIT_MINIMUM: MINIMUM });
    });

    afterAll(async () => {
      await dataSource?.destroy();
    });

    it("pauses the supplier's active offers (deposit_insufficient) and resumes them once it covers the minimum again", async () => {
      const [active, second, pausedBySupplier] = [await draftOffer(supplier), await draftOffer(supplier), await draftOffer(supplier)];
      for (const id of [active, second, pausedBySupplier]) expect((await catalog(supplier, 'POST', `/offers/${id}/activate`)).status).toBe(200);
      expect((await catalog(supplier, 'POST', `/offers/${pausedBySupplier}/pause`)).status).toBe(200);
      const otherOffer = await draftOffer(otherSupplier);

      const reference = randomUUID();
      await dataSource.transaction(async (manager) => {
        const account = await ledger.account(manager, supplier.organisationId, 'supplier_deposit', 'CNY');
        const clearing = await ledger.platformAccount(manager, 'provider_clearing', 'CNY');
        await ledger.post(manager, { kind: 'adjustment', reference, idempotencyRef: `adjustment:${reference}`, legs: transfer(account, clearing, 'CNY', 30_000) });
      });
      expect((await deposit(supplier)).body).toMatchObject({ balance: 70_000, covered: false });

      for (const id of [active, second]) {
        await eventually(() => offer(supplier, id), (o) => o.status === 'paused', { what: `offer ${id} paused` });
        expect((await offer(supplier, id)).pausedReason).toBe('deposit_insufficient');
      }
      expect(await offer(supplier, pausedBySupplier)).toMatchObject({ status: 'paused', pausedReason: 'by_supplier' });
      expect((await catalog(supplier, 'POST', `/offers/${active}/activate`)).body.code).toBe('deposit_insufficient');
      expect((await offer(otherSupplier, otherOffer)).status).toBe('draft');

      await fundDeposit(supplier, 30_000);
      for (const id of [active, second]) {
        await eventually(() => offer(supplier, id), (o) => o.status === 'active', { what: `offer ${id} resumed` });
        expect((await offer(supplier, id)).pausedReason).toBeNull();
      }
      // Only what the deposit paused resumes; the supplier's own pause stays.
      expect(await offer(supplier, pausedBySupplier)).toMatchObject({ status: 'paused', pausedReason: 'by_supplier' });

      // The offer events ordering and the vault follow: paused for the deposit, then activated.
      const changes = await eventually(
        () => eventsOn(Topics.CatalogOffer, active),
        (events) => events.some((e) => e.payload.change === 'activated' && e.payload.version === 4),
        { what: `the resumption of ${active} published` },
      );
      expect(changes.map((e) => [e.payload.change, e.payload.status, e.payload.pausedReason, e.payload.version])).toEqual([
        ['created', 'draft', null, 1],
        ['activated', 'active', null, 2],
        ['paused', 'paused', 'deposit_insufficient', 3],
        ['activated', 'active', null, 4],
      ]);
    });
  });
});
