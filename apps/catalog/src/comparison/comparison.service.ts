import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Identity } from '@kami/platform';
import { planPurchase, rankOffersForQuantity, type PriceTier, type SplitCandidate } from '@kami/pricing';
import { productNotFound } from '../catalog.errors';
import type { ComparedSupplierDto, ComparisonDto } from './comparison.dto';

interface CandidateRow {
  id: string;
  sku: string;
  supplier_id: string;
  supplier_name: string | null;
  price_tiers: PriceTier[];
  min_order_quantity: number;
  max_order_quantity: number | null;
  stock_available: number;
}

type Candidate = SplitCandidate & { sku: string; supplier: ComparedSupplierDto };

/**
 * Price comparison for one product and quantity: the active offers that can serve it alone,
 * ordered by their tier price at that quantity, and, when none can, the best-price split.
 */
@Injectable()
export class ComparisonService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async compare(identity: Identity, productId: string, quantity: number): Promise<ComparisonDto> {
    const productVisible = identity.organisationType === 'operator' ? '' : `AND (status = 'active'${identity.organisationType === 'supplier' ? ' OR proposed_by = $2' : ''})`;
    const [product]: { id: string; name: string; face_value: string; currency: string }[] = await this.dataSource.query(
      `SELECT id, name, face_value, currency FROM product WHERE id = $1 ${productVisible}`,
      identity.organisationType === 'supplier' ? [productId, identity.organisationId] : [productId],
    );
    if (!product) throw productNotFound();

    // A supplier compares its own offers only; merchants and operators every active offer.
    const params: unknown[] = [productId];
    const own = identity.organisationType === 'supplier' ? `AND o.supplier_id = $${params.push(identity.organisationId)}` : '';
    const rows: CandidateRow[] = await this.dataSource.query(
      `SELECT o.id, o.sku, o.supplier_id, s.name AS supplier_name, o.price_tiers, o.min_order_quantity, o.max_order_quantity, o.stock_available
         FROM offer o LEFT JOIN supplier s ON s.id = o.supplier_id
        WHERE o.product_id = $1 AND o.status = 'active' ${own}`,
      params,
    );
    const candidates: Candidate[] = rows.map((row) => ({
      offerId: row.id,
      sku: row.sku,
      supplier: { id: row.supplier_id, name: row.supplier_name, record: null },
      priceTiers: row.price_tiers,
      minOrderQuantity: row.min_order_quantity,
      maxOrderQuantity: row.max_order_quantity,
      available: row.stock_available,
    }));

    const ranked = rankOffersForQuantity(candidates, quantity);
    const byId = new Map(candidates.map((c) => [c.offerId, c]));
    let split: ComparisonDto['split'] = null;
    if (ranked.length === 0) {
      const plan = planPurchase(candidates, quantity);
      split = {
        quantity: plan.quantity,
        total: plan.total,
        shortfall: plan.shortfall,
        lines: plan.lines.map((line) => ({ ...line, supplier: byId.get(line.offerId)!.supplier })),
      };
    }
    return {
      productId: product.id,
      productName: product.name,
      faceValue: Number(product.face_value),
      currency: product.currency,
      quantity,
      offers: ranked.map(({ candidate, priced }) => ({
        offerId: candidate.offerId,
        sku: candidate.sku,
        supplier: candidate.supplier,
        priceTiers: candidate.priceTiers.map(({ minQuantity, unitPrice }) => ({ minQuantity, unitPrice })),
        minOrderQuantity: candidate.minOrderQuantity,
        maxOrderQuantity: candidate.maxOrderQuantity,
        available: candidate.available,
        unitPrice: priced.unitPrice,
        total: priced.total,
      })),
      split,
    };
  }
}
