import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createServiceDataSource, OutboxWriter, type Messaging } from '@kami/platform';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@kami/testing';
import { SETTLEMENT_ENTITIES, SETTLEMENT_MIGRATIONS } from '../src/database/settlement.migrations';
import { Ledger, UnbalancedTransactionError } from '../src/ledger/ledger';
import { transfer } from '../src/ledger/ledger-rules';
import { balanceOf, expectLedgerConsistent } from './support/ledger-invariants';

describe('the double-entry ledger in PostgreSQL', () => {
  let db: MigratedTestDatabase;
  let dataSource: DataSource;
  let ledger: Ledger;
  const query = <R>(sql: string, params?: unknown[]): Promise<R[]> => dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createMigratedTestDatabase('settle_ledger', (url) =>
      createServiceDataSource({ url, service: 'settlement', entities: SETTLEMENT_ENTITIES, migrations: SETTLEMENT_MIGRATIONS }),
    );
    dataSource = db.dataSource;
    ledger = new Ledger({ outbox: new OutboxWriter() } as unknown as Messaging);
  });

  afterEach(async () => {
    await expectLedgerConsistent(query);
  });

  afterAll(async () => {
    await db?.dispose();
  });

  const fundWallet = async (merchant: string, amount: number, ref = randomUUID()): Promise<{ wallet: string; clearing: string }> =>
    dataSource.transaction(async (m) => {
      const clearing = await ledger.platformAccount(m, 'provider_clearing', 'CNY');
      const wallet = await ledger.account(m, merchant, 'merchant_wallet', 'CNY');
      await ledger.post(m, { kind: 'topup', reference: ref, idempotencyRef: `topup:${ref}`, legs: transfer(clearing, wallet, 'CNY', amount) });
      return { wallet, clearing };
    });

  it('posts a balanced movement once per idempotency reference, moving balances and publishing the wallet change', async () => {
    const merchant = randomUUID();
    const ref = randomUUID();
    await fundWallet(merchant, 50_000, ref);
    await fundWallet(merchant, 50_000, ref); // the same top-up again
    expect(await balanceOf(query, merchant, 'merchant_wallet')).toBe(50_000);
    const events = await query<{ envelope: { payload: unknown } }>(`SELECT envelope FROM platform_outbox WHERE event_type = 'settlement.wallet.changed' AND message_key = $1`, [merchant]);
    expect(events.map((e) => e.envelope.payload)).toEqual([{ organisationId: merchant, currency: 'CNY', balance: 50_000, sequence: 1 }]);

    await fundWallet(merchant, 1_234);
    const after = await query<{ envelope: { payload: { balance: number; sequence: number } } }>(
      `SELECT envelope FROM platform_outbox WHERE event_type = 'settlement.wallet.changed' AND message_key = $1 ORDER BY seq`,
      [merchant],
    );
    expect(after.map((e) => [e.envelope.payload.balance, e.envelope.payload.sequence])).toEqual([
      [50_000, 1],
      [51_234, 2],
    ]);
  });

  it('refuses an unbalanced posting in code, before anything is written', async () => {
    const merchant = randomUUID();
    const { wallet, clearing } = await fundWallet(merchant, 100);
    await expect(
      dataSource.transaction((m) =>
        ledger.post(m, { kind: 'adjustment', reference: 'x', idempotencyRef: randomUUID(), legs: [{ accountId: clearing, currency: 'CNY', amount: -5 }, { accountId: wallet, currency: 'CNY', amount: 6 }] }),
      ),
    ).rejects.toBeInstanceOf(UnbalancedTransactionError);
    await expect(
      dataSource.transaction((m) => ledger.post(m, { kind: 'adjustment', reference: 'x', idempotencyRef: randomUUID(), legs: transfer(clearing, wallet, 'USD', 5) })),
    ).rejects.toThrow(/holds CNY, not USD/);
  });

  it('refuses in PostgreSQL an unbalanced or one-legged transaction written around the code, at commit', async () => {
    const merchant = randomUUID();
    const { wallet, clearing } = await fundWallet(merchant, 100);
    const writeRaw = (legs: [string, number][]): Promise<unknown> =>
      dataSource.transaction(async (m) => {
        const [tx] = await m.query(`INSERT INTO ledger_transaction (kind, reference, idempotency_ref) VALUES ('adjustment', 'raw', $1) RETURNING id`, [randomUUID()]);
        for (const [account, amount] of legs) {
          await m.query(`INSERT INTO ledger_entry (transaction_id, account_id, currency, amount) VALUES ($1, $2, 'CNY', $3)`, [tx.id, account, amount]);
        }
      });
    await expect(writeRaw([[clearing, -7], [wallet, 6]])).rejects.toThrow(/does not balance: CNY -1/);
    await expect(writeRaw([[wallet, 1]])).rejects.toThrow(/at least two are needed/);
    // A wrong currency for the account is refused by the composite foreign key.
    await expect(
      dataSource.transaction(async (m) => {
        const [tx] = await m.query(`INSERT INTO ledger_transaction (kind, reference, idempotency_ref) VALUES ('adjustment', 'raw', $1) RETURNING id`, [randomUUID()]);
        await m.query(`INSERT INTO ledger_entry (transaction_id, account_id, currency, amount) VALUES ($1, $2, 'USD', 1), ($1, $3, 'USD', -1)`, [tx.id, wallet, clearing]);
      }),
    ).rejects.toThrow(/foreign key/);
    expect(await balanceOf(query, merchant, 'merchant_wallet')).toBe(100);
  });

  it('keeps a wallet from going below zero, and the ledger append-only', async () => {
    const merchant = randomUUID();
    const { wallet } = await fundWallet(merchant, 100);
    const escrow = await dataSource.transaction((m) => ledger.account(m, merchant, 'order_escrow', 'CNY'));
    await expect(
      dataSource.transaction((m) => ledger.post(m, { kind: 'order_capture', reference: 'o', idempotencyRef: randomUUID(), legs: transfer(wallet, escrow, 'CNY', 101) })),
    ).rejects.toThrow(/ledger_account_non_negative/);
    await expect(query(`UPDATE ledger_entry SET amount = amount * 2`)).rejects.toThrow(/append-only/);
    await expect(query(`DELETE FROM ledger_transaction`)).rejects.toThrow(/append-only/);
    expect(await balanceOf(query, merchant, 'merchant_wallet')).toBe(100);
  });

  it('serialises concurrent movements of one wallet: never more spent than there was', async () => {
    const merchant = randomUUID();
    const { wallet } = await fundWallet(merchant, 1_000);
    const escrow = await dataSource.transaction((m) => ledger.account(m, merchant, 'order_escrow', 'CNY'));
    const spend = (i: number): Promise<boolean> =>
      dataSource
        .transaction(async (m) => {
          const locked = await ledger.lock(m, [wallet]);
          if (locked.get(wallet)!.balance < 300) return false;
          await ledger.post(m, { kind: 'order_capture', reference: `o${i}`, idempotencyRef: `spend:${merchant}:${i}`, legs: transfer(wallet, escrow, 'CNY', 300) });
          return true;
        });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => spend(i)));
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await balanceOf(query, merchant, 'merchant_wallet')).toBe(100);
    expect(await balanceOf(query, merchant, 'order_escrow')).toBe(900);
  });
});
