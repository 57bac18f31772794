import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  OfferChanged,
  ProductChanged,
  StockChanged,
  WalletChanged,
  type EventEnvelope,
  type OfferChangedPayload,
  type ProductChangedPayload,
  type StockChangedPayload,
  type WalletChangedPayload,
} from '@kami/contracts';
import { Messaging } from '@kami/platform';
import type { RoutableOffer } from '../routing/order-routing';

/**
 * Ordering's own copy of what it quotes from: catalog offers (full snapshots, newest by version),
 * each product's category (newest by version; order lines carry it for settlement's commission),
 * vault stock per offer and merchant wallet balances (newest by their sequence). The inbox drops
 * a redelivered event; the version/sequence guards drop an older one arriving late.
 */
@Injectable()
export class Projections implements OnModuleInit {
  constructor(private readonly messaging: Messaging) {}

  onModuleInit(): void {
    this.messaging.registerConsumer('offer-projection', [
      { events: [OfferChanged], handler: (envelope, { manager }) => this.applyOffer(manager, (envelope as EventEnvelope<OfferChangedPayload>).payload) },
    ]);
    this.messaging.registerConsumer('product-projection', [
      { events: [ProductChanged], handler: (envelope, { manager }) => this.applyProduct(manager, (envelope as EventEnvelope<ProductChangedPayload>).payload) },
    ]);
    this.messaging.registerConsumer('stock-projection', [
      { events: [StockChanged], handler: (envelope, { manager }) => this.applyStock(manager, (envelope as EventEnvelope<StockChangedPayload>).payload) },
    ], { batched: true });
    this.messaging.registerConsumer('wallet-projection', [
      { events: [WalletChanged], handler: (envelope, { manager }) => this.applyWallet(manager, (envelope as EventEnvelope<WalletChangedPayload>).payload) },
    ], { batched: true });
  }

  async applyOffer(manager: EntityManager, o: OfferChangedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO offer_view (offer_id, version, product_id, supplier_id, currency, status, price_tiers, min_order_quantity, max_order_quantity)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
       ON CONFLICT (offer_id) DO UPDATE SET version = EXCLUDED.version, product_id = EXCLUDED.product_id, supplier_id = EXCLUDED.supplier_id,
         currency = EXCLUDED.currency, status = EXCLUDED.status, price_tiers = EXCLUDED.price_tiers,
         min_order_quantity = EXCLUDED.min_order_quantity, max_order_quantity = EXCLUDED.max_order_quantity, updated_at = now()
       WHERE offer_view.version < EXCLUDED.version`,
      [
        o.offerId,
        o.version,
        o.productId,
        o.supplierId,
        o.currency,
        o.status,
        JSON.stringify(o.priceTiers.map((t) => ({ minQuantity: t.minQuantity, unitPrice: t.unitPrice }))),
        o.minOrderQuantity,
        o.maxOrderQuantity ?? null,
      ],
    );
  }

  async applyProduct(manager: EntityManager, p: ProductChangedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO product_view (product_id, version, category_code) VALUES ($1, $2, $3)
       ON CONFLICT (product_id) DO UPDATE SET version = EXCLUDED.version, category_code = EXCLUDED.category_code, updated_at = now()
       WHERE product_view.version < EXCLUDED.version`,
      [p.productId, p.version, p.categoryCode],
    );
  }

  async applyStock(manager: EntityManager, s: StockChangedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO offer_stock_view (offer_id, available, sequence) VALUES ($1, $2, $3)
       ON CONFLICT (offer_id) DO UPDATE SET available = EXCLUDED.available, sequence = EXCLUDED.sequence, updated_at = now()
       WHERE offer_stock_view.sequence < EXCLUDED.sequence`,
      [s.offerId, s.available, s.sequence],
    );
  }

  async applyWallet(manager: EntityManager, w: WalletChangedPayload): Promise<void> {
    await manager.query(
      `INSERT INTO wallet_view (organisation_id, currency, balance, sequence) VALUES ($1, $2, $3, $4)
       ON CONFLICT (organisation_id, currency) DO UPDATE SET balance = EXCLUDED.balance, sequence = EXCLUDED.sequence, updated_at = now()
       WHERE wallet_view.sequence < EXCLUDED.sequence`,
      [w.organisationId, w.currency, w.balance, w.sequence],
    );
  }

  /** The offers a request can route to: those it names, and every offer of the products it names. */
  async routableOffers(manager: EntityManager, offerIds: string[], productIds: string[]): Promise<RoutableOffer[]> {
    const rows: {
      offer_id: string; product_id: string; supplier_id: string; currency: string; status: string;
      price_tiers: { minQuantity: number; unitPrice: number }[]; min_order_quantity: number; max_order_quantity: number | null; available: number | null;
    }[] = await manager.query(
      `SELECT o.offer_id, o.product_id, o.supplier_id, o.currency, o.status, o.price_tiers, o.min_order_quantity, o.max_order_quantity, s.available
         FROM offer_view o LEFT JOIN offer_stock_view s ON s.offer_id = o.offer_id
        WHERE o.offer_id = ANY($1::uuid[]) OR (o.product_id = ANY($2::uuid[]) AND o.status = 'active')
        ORDER BY o.offer_id`,
      [offerIds, productIds],
    );
    return rows.map((r) => ({
      offerId: r.offer_id,
      productId: r.product_id,
      supplierId: r.supplier_id,
      currency: r.currency,
      status: r.status,
      priceTiers: r.price_tiers,
      minOrderQuantity: r.min_order_quantity,
      maxOrderQuantity: r.max_order_quantity,
      available: r.available ?? 0,
    }));
  }

  /** Each known product's category code, by product id (a product not heard of yet is absent). */
  async categoryCodes(manager: EntityManager, productIds: string[]): Promise<Map<string, string>> {
    const rows: { product_id: string; category_code: string }[] = await manager.query(
      `SELECT product_id::text, category_code FROM product_view WHERE product_id = ANY($1::uuid[])`,
      [productIds],
    );
    return new Map(rows.map((r) => [r.product_id, r.category_code]));
  }

  /** The merchant's wallet balance as settlement last reported it, or null when it never did. */
  async walletBalance(manager: EntityManager, organisationId: string, currency: string): Promise<number | null> {
    const rows: { balance: string }[] = await manager.query(`SELECT balance::text FROM wallet_view WHERE organisation_id = $1 AND currency = $2`, [organisationId, currency]);
    return rows[0] ? Number(rows[0].balance) : null;
  }
}
