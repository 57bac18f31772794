import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { DataSource, EntityManager } from 'typeorm';
import { createServiceDataSource, OutboxWriter, type Messaging } from '@kami/platform';
import { RESERVATION_REDIS_OPTIONS, ReservationCore } from '@kami/reservation';
import { createMigratedTestDatabase, testInfrastructure, testNames, type MigratedTestDatabase } from '@kami/testing';
import { AllocationStore } from '../../src/allocation/allocation-store';
import { Allocator } from '../../src/allocation/allocator';
import { CodeExpiry } from '../../src/allocation/code-expiry';
import { OfferStockCache } from '../../src/allocation/offer-stock-cache';
import { OrderAllocations } from '../../src/allocation/order-allocations';
import { ReservationExpiry } from '../../src/allocation/reservation-expiry';
import { CatalogProjection } from '../../src/catalog-projection/catalog-projection.service';
import type { VaultConfig } from '../../src/config/vault.config';
import { VAULT_ENTITIES, VAULT_MIGRATIONS } from '../../src/database/vault.migrations';
import { StockHistory } from '../../src/stock/stock-history';
import { StockLedger } from '../../src/stock/stock-ledger';
import { StockPublisher } from '../../src/stock/stock-publisher';

export interface CodeCounts {
  uploaded: number;
  available: number;
  reserved: number;
  sold: number;
  void: number;
}

/**
 * The vault's allocation stack in-process, on a migrated database of its own and real Redis:
 * for tests and benchmarks of the reservation core with PostgreSQL behind it (no HTTP, no Kafka;
 * stock events land in the outbox table, unpublished).
 */
export interface AllocationRig {
  db: MigratedTestDatabase;
  dataSource: DataSource;
  redis: Redis;
  core: ReservationCore;
  allocator: Allocator;
  cache: OfferStockCache;
  orders: OrderAllocations;
  expiry: ReservationExpiry;
  /** Takes codes past their expiry out of stock (a running vault does it on a timer). */
  codeExpiry: CodeExpiry;
  /** Publishes stock events into the outbox (a running vault does it on a timer). */
  publisher: StockPublisher;
  /** Creates an offer with `count` available codes (a completed batch); returns the offer id. */
  seedOffer(count: number, lowStockThreshold?: number): Promise<string>;
  /** Adds a completed batch of `count` codes to an existing offer (without telling Redis); returns its id. */
  seedBatch(offerId: string, count: number): Promise<string>;
  /** Counts by status from the code table itself (not from the counters). */
  counts(offerId: string): Promise<CodeCounts>;
  /** The offer_stock counters. */
  counters(offerId: string): Promise<CodeCounts>;
  dispose(): Promise<void>;
}

async function insertCompletedBatch(
  manager: EntityManager,
  b: { batchId: string; offerId: string; supplierId: string; productId: string; count: number },
): Promise<void> {
  await manager.query(
    `INSERT INTO batch (id, offer_id, supplier_id, product_id, source, status, lines_received, accepted, created_by, finished_at)
     VALUES ($1, $2, $3, $4, 'json', 'completed', $5, $5, 'test', now())`,
    [b.batchId, b.offerId, b.supplierId, b.productId, b.count],
  );
  // Placeholder fingerprints and secrets: allocation never reads them.
  await manager.query(
    `INSERT INTO code (offer_id, batch_id, fingerprint, secret)
     SELECT $1::uuid, $2::uuid, sha256(convert_to($2::text || ':' || g, 'UTF8')), '\\x00'::bytea FROM generate_series(1, $3) AS g`,
    [b.offerId, b.batchId, b.count],
  );
}

export async function createAllocationRig(label: string, options: { redisUrl?: string; ttlSeconds?: number; poolSize?: number } = {}): Promise<AllocationRig> {
  const infra = await testInfrastructure();
  const db = await createMigratedTestDatabase(label, (url) =>
    createServiceDataSource({ url, service: 'vault', entities: VAULT_ENTITIES, migrations: VAULT_MIGRATIONS, poolSize: options.poolSize }),
  );
  const dataSource = db.dataSource;
  const redisUrl = options.redisUrl ?? infra.redisUrl;
  const keyPrefix = testNames(label).redisPrefix;
  const redis = new Redis(redisUrl, { ...RESERVATION_REDIS_OPTIONS, keyPrefix, maxRetriesPerRequest: 2 });
  const messaging = { outbox: new OutboxWriter(), relay: { nudge: () => undefined, publishCommitted: () => undefined }, transaction: dataSource.transaction.bind(dataSource) } as unknown as Messaging;
  const core = new ReservationCore({ redis });
  const catalog = new CatalogProjection(messaging, dataSource);
  const stock = new StockLedger();
  const cache = new OfferStockCache(core, dataSource);
  const store = new AllocationStore(stock, catalog);
  const config = { RESERVATION_TTL_SECONDS: options.ttlSeconds ?? 900, RESERVATION_EXPIRY_INTERVAL_MS: 1000, STOCK_EVENT_INTERVAL_MS: 250, STOCK_HISTORY_RESOLUTION_SECONDS: 300, STOCK_HISTORY_RETENTION_DAYS: 400 } as VaultConfig;
  const codeExpiry = new CodeExpiry(dataSource, stock, cache, config);
  const allocator = new Allocator(dataSource, core, store, cache, codeExpiry, config);
  const orders = new OrderAllocations(allocator, core, messaging);
  const expiry = new ReservationExpiry(dataSource, allocator, orders, core, config);
  const publisher = new StockPublisher(dataSource, messaging, new StockHistory(dataSource, config), config);

  const countsFrom = async (sql: string, offerId: string): Promise<CodeCounts> => {
    const [row] = await dataSource.query(sql, [offerId]);
    return { uploaded: Number(row.uploaded), available: Number(row.available), reserved: Number(row.reserved), sold: Number(row.sold), void: Number(row.void) };
  };

  return {
    db,
    dataSource,
    redis,
    core,
    allocator,
    cache,
    orders,
    expiry,
    codeExpiry,
    publisher,
    async seedOffer(count, lowStockThreshold = 0) {
      const offerId = randomUUID();
      const productId = randomUUID();
      const supplierId = randomUUID();
      const batchId = randomUUID();
      await dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO vault_product (product_id, version, status, code_pattern, pin_policy, serial_required) VALUES ($1, 1, 'active', '^[A-Z0-9]{16}$', 'none', false)`, [productId]);
        await manager.query(`INSERT INTO vault_offer (offer_id, version, product_id, supplier_id, status, low_stock_threshold) VALUES ($1, 1, $2, $3, 'active', $4)`, [offerId, productId, supplierId, lowStockThreshold]);
        await insertCompletedBatch(manager, { batchId, offerId, supplierId, productId, count });
        await stock.apply(manager, offerId, supplierId, { uploaded: count, available: count });
      });
      return offerId;
    },
    async seedBatch(offerId, count) {
      const batchId = randomUUID();
      await dataSource.transaction(async (manager) => {
        const [offer] = await manager.query(`SELECT product_id, supplier_id FROM vault_offer WHERE offer_id = $1`, [offerId]);
        await insertCompletedBatch(manager, { batchId, offerId, supplierId: offer.supplier_id, productId: offer.product_id, count });
        await stock.apply(manager, offerId, offer.supplier_id, { uploaded: count, available: count });
      });
      return batchId;
    },
    counts: (offerId) =>
      countsFrom(
        `SELECT count(*) AS uploaded,
                count(*) FILTER (WHERE c.status = 'available') AS available,
                count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'held') AS reserved,
                count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'committed') AS sold,
                count(*) FILTER (WHERE c.status = 'void') AS void
           FROM code c LEFT JOIN reservation r ON r.id = c.reservation_id
          WHERE c.offer_id = $1`,
        offerId,
      ),
    counters: (offerId) => countsFrom(`SELECT uploaded, available, reserved, sold, voided AS void FROM offer_stock WHERE offer_id = $1`, offerId),
    async dispose() {
      await allocator.onModuleDestroy();
      redis.disconnect();
      // SCAN patterns and DEL of scanned names must not get the prefix twice: use a plain client.
      const plain = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await plain.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await plain.del(...keys);
        } while (cursor !== '0');
      } catch {
        // the private Redis of a test may be gone already
      } finally {
        plain.disconnect();
      }
      await db.dispose();
    },
  };
}
