import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { OfferChanged, ProductChanged, type OfferChangedPayload, type ProductChangedPayload } from '@kami/contracts';
import { createLogger, createServiceDataSource, loadConfigOrExit, OutboxWriter } from '@kami/platform';
import { CatalogConfig } from '../config/catalog.config';
import { CATALOG_ENTITIES, CATALOG_MIGRATIONS } from '../database/catalog.migrations';

/** The demo supplier of the gateway's demo seed (apps/gateway/src/seed/demo-seed.ts); the id is the contract between them. */
const DEMO_SUPPLIER = { id: '00000000-0000-4000-8000-000000000002', name: '深圳卡源科技 (Demo Supplier)' };

const id = (n: number): string => `00000000-0000-4000-8000-0000000003${String(n).padStart(2, '0')}`;

const BRANDS = [
  { id: id(1), name: 'Steam' },
  { id: id(2), name: '腾讯视频' },
  { id: id(3), name: '中国移动' },
  { id: id(4), name: 'Microsoft' },
];

const PRODUCTS: Omit<ProductChangedPayload, 'version' | 'change' | 'status' | 'brandName'>[] = [
  { productId: id(11), name: 'Steam Wallet Code CN ¥100', brandId: id(1), categoryCode: 'game-cards.pc', faceValue: 10000, currency: 'CNY', region: 'CN', codeFormat: { codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){2}', pin: 'none', pinPattern: null, serialRequired: false } },
  { productId: id(12), name: '腾讯视频 VIP 月卡', brandId: id(2), categoryCode: 'memberships.video', faceValue: 3000, currency: 'CNY', region: 'CN', codeFormat: { codePattern: '[0-9]{12}', pin: 'required', pinPattern: '[0-9]{6}', serialRequired: false } },
  { productId: id(13), name: '中国移动 话费充值卡 ¥50', brandId: id(3), categoryCode: 'phone-topup.china-mobile', faceValue: 5000, currency: 'CNY', region: 'CN', codeFormat: { codePattern: '[0-9]{17}', pin: 'required', pinPattern: '[0-9]{18}', serialRequired: false } },
  { productId: id(14), name: 'Windows 11 Pro Retail Key', brandId: id(4), categoryCode: 'software-licences.os', faceValue: 145000, currency: 'CNY', region: 'GLOBAL', codeFormat: { codePattern: '[A-Z0-9]{5}(-[A-Z0-9]{5}){4}', pin: 'none', pinPattern: null, serialRequired: false } },
];

const OFFERS: { id: string; productId: string; sku: string; priceTiers: { minQuantity: number; unitPrice: number }[]; lowStockThreshold: number }[] = [
  { id: id(21), productId: id(11), sku: 'DEMO-STEAM-CN-100', priceTiers: [{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 100, unitPrice: 9500 }, { minQuantity: 1000, unitPrice: 9450 }], lowStockThreshold: 100 },
  { id: id(22), productId: id(12), sku: 'DEMO-TXVIP-1M', priceTiers: [{ minQuantity: 1, unitPrice: 2580 }, { minQuantity: 500, unitPrice: 2520 }], lowStockThreshold: 200 },
  { id: id(23), productId: id(13), sku: 'DEMO-CMCC-50', priceTiers: [{ minQuantity: 1, unitPrice: 4925 }, { minQuantity: 1000, unitPrice: 4900 }], lowStockThreshold: 500 },
  { id: id(24), productId: id(14), sku: 'DEMO-WIN11-PRO', priceTiers: [{ minQuantity: 1, unitPrice: 21800 }, { minQuantity: 50, unitPrice: 19800 }], lowStockThreshold: 20 },
];

const PROOF = Buffer.from('%PDF-1.4\n% Kami demo: brand distribution agreement (not a real document)\n');

/**
 * Demo catalog for `npm start`: brands, products, the demo supplier's approved brand
 * authorisations and its active offers, announced through the outbox like any change.
 * Idempotent (fixed ids, existing rows left alone) and never run in production.
 */
async function seed(): Promise<void> {
  const config = loadConfigOrExit(CatalogConfig, 'catalog-seed');
  const logger = createLogger('catalog-seed', config.LOG_LEVEL);
  if (config.NODE_ENV === 'production') {
    logger.error('the demo seed never runs in production');
    process.exit(1);
  }
  if (process.env.KAMI_SEED !== 'demo') {
    logger.error('the demo seed runs only when asked for by name: KAMI_SEED=demo');
    process.exit(1);
  }
  const dataSource = createServiceDataSource({ url: config.DATABASE_URL, service: 'catalog-seed', entities: CATALOG_ENTITIES, migrations: CATALOG_MIGRATIONS });
  await dataSource.initialize();
  const outbox = new OutboxWriter();
  const inserted = async (manager: EntityManager, sql: string, params: unknown[]): Promise<boolean> => ((await manager.query(sql, params)) as unknown[]).length > 0;
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO supplier (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [DEMO_SUPPLIER.id, DEMO_SUPPLIER.name]);
      for (const brand of BRANDS) {
        await manager.query(`INSERT INTO brand (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [brand.id, brand.name]);
        await manager.query(
          `INSERT INTO brand_authorisation (id, supplier_id, brand_id, status, note, proof_file_name, proof_content_type, proof_size, proof_sha256, proof_content, expires_at, decided_at)
           SELECT $1, $2, $3, 'approved', 'Demo authorisation', 'demo-agreement.pdf', 'application/pdf', $4, $5, $6, now() + interval '1 year', now()
            WHERE NOT EXISTS (SELECT 1 FROM brand_authorisation WHERE supplier_id = $2 AND brand_id = $3)`,
          [id(30 + BRANDS.indexOf(brand)), DEMO_SUPPLIER.id, brand.id, PROOF.length, createHash('sha256').update(PROOF).digest('hex'), PROOF],
        );
      }
      for (const product of PRODUCTS) {
        const brandName = BRANDS.find((b) => b.id === product.brandId)!.name;
        const created = await inserted(
          manager,
          `INSERT INTO product (id, name, brand_id, category_code, face_value, currency, region, redemption_instructions, code_pattern, pin_policy, pin_pattern, serial_required, status, search_text)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [product.productId, product.name, product.brandId, product.categoryCode, product.faceValue, product.currency, product.region, 'Demo product: redeem in the brand’s official app.', product.codeFormat.codePattern, product.codeFormat.pin, product.codeFormat.pinPattern, product.codeFormat.serialRequired, `${product.name} ${brandName} ${product.region}`.toLowerCase()],
        );
        if (created) await outbox.append(manager, ProductChanged, { aggregateId: product.productId, payload: { ...product, brandName, version: 1, change: 'created', status: 'active' } });
      }
      for (const offer of OFFERS) {
        const brandId = PRODUCTS.find((p) => p.productId === offer.productId)!.brandId;
        const created = await inserted(
          manager,
          `INSERT INTO offer (id, supplier_id, product_id, brand_id, sku, currency, price_tiers, base_unit_price, min_order_quantity, low_stock_threshold, status)
           VALUES ($1, $2, $3, $4, $5, 'CNY', $6, $7, 1, $8, 'active') ON CONFLICT (id) DO NOTHING RETURNING id`,
          [offer.id, DEMO_SUPPLIER.id, offer.productId, brandId, offer.sku, JSON.stringify(offer.priceTiers), offer.priceTiers[0]!.unitPrice, offer.lowStockThreshold],
        );
        const payload: OfferChangedPayload = {
          offerId: offer.id, version: 1, change: 'created', productId: offer.productId, supplierId: DEMO_SUPPLIER.id, sku: offer.sku, status: 'active',
          pausedReason: null, currency: 'CNY', priceTiers: offer.priceTiers, minOrderQuantity: 1, maxOrderQuantity: null, lowStockThreshold: offer.lowStockThreshold,
        };
        if (created) await outbox.append(manager, OfferChanged, { aggregateId: offer.id, payload });
      }
    });
    logger.info({ brands: BRANDS.length, products: PRODUCTS.length, offers: OFFERS.length }, 'demo catalog ready');
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  seed().catch((error: unknown) => {
    process.stderr.write(`catalog demo seed failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
