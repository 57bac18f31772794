import { randomUUID } from 'node:crypto';
import { createServiceDataSource } from '@kami/platform';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@kami/testing';
import type { VaultConfig } from '../src/config/vault.config';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from '../src/database/vault.migrations';
import { StockHistory } from '../src/stock/stock-history';

/*
 * Pruning stock history past its retention in PostgreSQL: old points go, but each offer keeps its
 * newest one, which still tells the stock level since then (an offer nobody touched for a year
 * still has a level to chart).
 */

const DAY_MS = 86_400_000;
let db: MigratedTestDatabase;
let history: StockHistory;

beforeAll(async () => {
  db = await createMigratedTestDatabase('stock_history', (url) => createServiceDataSource({ url, service: 'vault', entities: VAULT_ENTITIES, migrations: VAULT_MIGRATIONS }));
  history = new StockHistory(db.dataSource, { STOCK_HISTORY_RESOLUTION_SECONDS: 300, STOCK_HISTORY_RETENTION_DAYS: 30 } as VaultConfig);
}, 60_000);

afterAll(async () => {
  await db?.dispose();
});

async function point(offerId: string, daysAgo: number, available: number): Promise<void> {
  const at = new Date(Date.now() - daysAgo * DAY_MS);
  await db.dataSource.query(
    `INSERT INTO offer_stock_history (offer_id, bucket_start, recorded_at, uploaded, available, reserved, sold, voided, sequence)
     VALUES ($1, $2, $2, 100, $3::bigint, 0, 100 - $3::bigint, 0, $4)`,
    [offerId, at, available, 1000 - daysAgo],
  );
}

const availableOf = async (offerId: string): Promise<number[]> =>
  (await db.dataSource.query(`SELECT available::int AS available FROM offer_stock_history WHERE offer_id = $1 ORDER BY recorded_at`, [offerId])).map((r: { available: number }) => r.available);

it('deletes points past the retention, keeping each offer’s newest, and the level at a period’s start still reads right', async () => {
  const busy = randomUUID();
  const idle = randomUUID();
  await point(busy, 90, 100);
  await point(busy, 40, 70);
  await point(busy, 20, 50);
  await point(busy, 1, 10);
  await point(idle, 300, 80);
  await point(idle, 200, 60);

  expect(await history.prune()).toBe(3);
  expect(await availableOf(busy)).toEqual([50, 10]);
  expect(await availableOf(idle)).toEqual([60]);

  const from = new Date(Date.now() - 7 * DAY_MS);
  const idlePoints = await history.points(idle, from, new Date(), 200);
  expect(idlePoints.map((p) => [p.at, p.available])).toEqual([[from, 60]]);
  expect(await history.prune()).toBe(0);
});
