import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createServiceDataSource, OutboxWriter, type Messaging } from '@kami/platform';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@kami/testing';
import type { SettlementConfig } from '../src/config/settlement.config';
import { SETTLEMENT_ENTITIES, SETTLEMENT_MIGRATIONS } from '../src/database/settlement.migrations';
import { DepositsService } from '../src/deposits/deposits.service';
import { Ledger } from '../src/ledger/ledger';
import { transfer } from '../src/ledger/ledger-rules';
import { expectLedgerConsistent } from './support/ledger-invariants';

/**
 * Deposit statuses as settlement writes them to its outbox, against the real migrations: every
 * movement of a supplier's deposit (whatever posts it), a supplier's registration (once, and not
 * after a movement overtook it), and a changed minimum at start, each with a newer sequence.
 */
describe('supplier deposit statuses in PostgreSQL', () => {
  let db: MigratedTestDatabase;
  let dataSource: DataSource;
  const messaging = { outbox: new OutboxWriter(), relay: { nudge: (): void => undefined } } as unknown as Messaging;
  const query = <R>(sql: string, params?: unknown[]): Promise<R[]> => dataSource.query(sql, params);
  const ledgerWith = (minimum: number): Ledger => new Ledger(messaging, { SUPPLIER_DEPOSIT_MINIMUM: minimum });
  const depositsWith = (minimum: number): DepositsService =>
    new DepositsService(dataSource, ledgerWith(minimum), messaging, { SUPPLIER_DEPOSIT_MINIMUM: minimum } as SettlementConfig);

  const statuses = async (supplierId: string): Promise<[number, number, boolean, number][]> =>
    (
      await query<{ envelope: { payload: { balance: number; minimum: number; covered: boolean; sequence: number } } }>(
        `SELECT envelope FROM platform_outbox WHERE event_type = 'settlement.deposit.status_changed' AND message_key = $1 ORDER BY seq`,
        [supplierId],
      )
    ).map(({ envelope: { payload: p } }) => [p.balance, p.minimum, p.covered, p.sequence]);

  /** Moves `amount` into (positive) or out of (negative) the supplier's deposit, from or to provider clearing. */
  const move = (ledger: Ledger, supplierId: string, amount: number): Promise<unknown> =>
    dataSource.transaction(async (m) => {
      const depositAccount = await ledger.account(m, supplierId, 'supplier_deposit', 'CNY');
      const clearing = await ledger.platformAccount(m, 'provider_clearing', 'CNY');
      const ref = randomUUID();
      const legs = amount > 0 ? transfer(clearing, depositAccount, 'CNY', amount) : transfer(depositAccount, clearing, 'CNY', -amount);
      return ledger.post(m, { kind: amount > 0 ? 'deposit_topup' : 'adjustment', reference: ref, idempotencyRef: `test:${ref}`, legs });
    });

  beforeAll(async () => {
    db = await createMigratedTestDatabase('settle_deposits', (url) =>
      createServiceDataSource({ url, service: 'settlement', entities: SETTLEMENT_ENTITIES, migrations: SETTLEMENT_MIGRATIONS }),
    );
    dataSource = db.dataSource;
  });

  afterEach(async () => {
    await expectLedgerConsistent(query);
  });

  afterAll(async () => {
    await db?.dispose();
  });

  it('publishes the status of every deposit movement in the same transaction, and none for a merchant wallet', async () => {
    const supplier = randomUUID();
    const ledger = ledgerWith(100_000);
    await dataSource.transaction((m) => depositsWith(100_000).supplierRegistered(m, supplier));
    await move(ledger, supplier, 100_000);
    await move(ledger, supplier, -1);
    await move(ledger, supplier, 1);
    expect(await statuses(supplier)).toEqual([
      [0, 100_000, false, 1],
      [100_000, 100_000, true, 2],
      [99_999, 100_000, false, 3],
      [100_000, 100_000, true, 4],
    ]);

    // A posting that rolls back publishes nothing.
    await expect(
      dataSource.transaction(async (m) => {
        const depositAccount = await ledger.account(m, supplier, 'supplier_deposit', 'CNY');
        const clearing = await ledger.platformAccount(m, 'provider_clearing', 'CNY');
        const ref = randomUUID();
        await ledger.post(m, { kind: 'adjustment', reference: ref, idempotencyRef: `test:${ref}`, legs: transfer(depositAccount, clearing, 'CNY', 100_001) });
      }),
    ).rejects.toThrow(/ledger_account_non_negative/);
    expect(await statuses(supplier)).toHaveLength(4);

    const merchant = randomUUID();
    await dataSource.transaction(async (m) => {
      const wallet = await ledger.account(m, merchant, 'merchant_wallet', 'CNY');
      const clearing = await ledger.platformAccount(m, 'provider_clearing', 'CNY');
      const ref = randomUUID();
      await ledger.post(m, { kind: 'topup', reference: ref, idempotencyRef: `topup:${ref}`, legs: transfer(clearing, wallet, 'CNY', 5_000) });
    });
    expect(await statuses(merchant)).toEqual([]);
  });

  it("announces a supplier's registration once, and not at all when a deposit movement got there first", async () => {
    const deposits = depositsWith(100_000);
    const [early, funded] = [randomUUID(), randomUUID()];
    await dataSource.transaction((m) => deposits.supplierRegistered(m, early));
    await dataSource.transaction((m) => deposits.supplierRegistered(m, early));
    expect(await statuses(early)).toEqual([[0, 100_000, false, 1]]);

    await move(ledgerWith(100_000), funded, 150_000);
    await dataSource.transaction((m) => deposits.supplierRegistered(m, funded));
    expect(await statuses(funded)).toEqual([[150_000, 100_000, true, 1]]);

    // Without a minimum a new supplier is covered from the start.
    const free = randomUUID();
    await dataSource.transaction((m) => depositsWith(0).supplierRegistered(m, free));
    expect(await statuses(free)).toEqual([[0, 0, true, 1]]);
  });

  it('re-publishes every status at start once the minimum changed, with a newer sequence, and only once', async () => {
    const [rich, poor] = [randomUUID(), randomUUID()];
    const before = depositsWith(100_000);
    for (const supplier of [rich, poor]) await dataSource.transaction((m) => before.supplierRegistered(m, supplier));
    await move(ledgerWith(100_000), rich, 300_000);
    await move(ledgerWith(100_000), poor, 120_000);

    await depositsWith(200_000).onApplicationBootstrap();
    await depositsWith(200_000).onApplicationBootstrap(); // another instance, or a restart
    expect(await statuses(rich)).toEqual([
      [0, 100_000, false, 1],
      [300_000, 100_000, true, 2],
      [300_000, 200_000, true, 3],
    ]);
    expect(await statuses(poor)).toEqual([
      [0, 100_000, false, 1],
      [120_000, 100_000, true, 2],
      [120_000, 200_000, false, 3],
    ]);
  });
});
