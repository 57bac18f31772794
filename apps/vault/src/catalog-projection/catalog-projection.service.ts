import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { OfferChanged, ProductChanged, type EventEnvelope, type OfferChangedPayload, type ProductChangedPayload } from '@kami/contracts';
import { Messaging } from '@kami/platform';

/** What a code must look like for a product (from catalog's code format). */
export interface CodeFormat {
  codePattern: string;
  pinPolicy: 'none' | 'optional' | 'required';
  pinPattern: string | null;
  serialRequired: boolean;
}

/** An offer as the vault needs it: who owns it, whether it sells, its product's code format. */
export interface VaultOffer {
  offerId: string;
  productId: string;
  supplierId: string;
  status: string;
  lowStockThreshold: number;
  productStatus: string;
  format: CodeFormat;
}

/**
 * The vault's copy of catalog products and offers (catalog.product.v1, catalog.offer.v1): owner,
 * status, low-stock threshold and code format. Snapshots carry a version; an older one arriving
 * late changes nothing.
 */
@Injectable()
export class CatalogProjection implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('catalog-projection', [
      { events: [ProductChanged], handler: (envelope, { manager }) => this.applyProduct(manager, (envelope as EventEnvelope<ProductChangedPayload>).payload) },
      { events: [OfferChanged], handler: (envelope, { manager }) => this.applyOffer(manager, (envelope as EventEnvelope<OfferChangedPayload>).payload) },
    ]);
  }

  async applyProduct(manager: EntityManager, p: ProductChangedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO vault_product (product_id, version, status, code_pattern, pin_policy, pin_pattern, serial_required)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (product_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
         code_pattern = EXCLUDED.code_pattern, pin_policy = EXCLUDED.pin_policy, pin_pattern = EXCLUDED.pin_pattern,
         serial_required = EXCLUDED.serial_required, updated_at = now()
       WHERE vault_product.version < EXCLUDED.version`,
      [p.productId, p.version, p.status, p.codeFormat.codePattern, p.codeFormat.pin, p.codeFormat.pinPattern ?? null, p.codeFormat.serialRequired],
    );
  }

  async applyOffer(manager: EntityManager, o: OfferChangedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO vault_offer (offer_id, version, product_id, supplier_id, status, low_stock_threshold)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (offer_id) DO UPDATE SET version = EXCLUDED.version, product_id = EXCLUDED.product_id,
         status = EXCLUDED.status, low_stock_threshold = EXCLUDED.low_stock_threshold, updated_at = now()
       WHERE vault_offer.version < EXCLUDED.version`,
      [o.offerId, o.version, o.productId, o.supplierId, o.status, o.lowStockThreshold],
    );
  }

  /** The offer with its product's code format, or null when the vault has not heard of both. */
  async offer(offerId: string, manager: EntityManager = this.dataSource.manager): Promise<VaultOffer | null> {
    const rows: {
      offer_id: string; product_id: string; supplier_id: string; status: string; low_stock_threshold: number;
      product_status: string; code_pattern: string; pin_policy: CodeFormat['pinPolicy']; pin_pattern: string | null; serial_required: boolean;
    }[] = await manager.query(
      `SELECT o.offer_id, o.product_id, o.supplier_id, o.status, o.low_stock_threshold,
              p.status AS product_status, p.code_pattern, p.pin_policy, p.pin_pattern, p.serial_required
         FROM vault_offer o JOIN vault_product p ON p.product_id = o.product_id
        WHERE o.offer_id = $1`,
      [offerId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      offerId: r.offer_id,
      productId: r.product_id,
      supplierId: r.supplier_id,
      status: r.status,
      lowStockThreshold: r.low_stock_threshold,
      productStatus: r.product_status,
      format: { codePattern: r.code_pattern, pinPolicy: r.pin_policy, pinPattern: r.pin_pattern, serialRequired: r.serial_required },
    };
  }
}
