import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeCursor, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import type { ProductSearchItemDto, SearchProductsQuery } from './product.dto';

interface ProductRow {
  id: string;
  name: string;
  brand_id: string;
  brand_name: string;
  category_code: string;
  face_value: string;
  currency: string;
  region: string;
  redemption_instructions: string;
  code_pattern: string;
  pin_policy: 'none' | 'optional' | 'required';
  pin_pattern: string | null;
  serial_required: boolean;
  status: ProductSearchItemDto['status'];
  proposed_by: string | null;
  review_note: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  active_offers: number;
  lowest_unit_price: string | null;
  available: string;
}

/** `%`, `_` and `\` in the user's text are literal characters, not LIKE wildcards. */
export const likePattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function toProductDto(row: ProductRow): ProductSearchItemDto {
  return {
    id: row.id,
    name: row.name,
    brand: { id: row.brand_id, name: row.brand_name },
    categoryCode: row.category_code,
    faceValue: Number(row.face_value),
    currency: row.currency,
    region: row.region,
    redemptionInstructions: row.redemption_instructions,
    codeFormat: { codePattern: row.code_pattern, pin: row.pin_policy, pinPattern: row.pin_pattern, serialRequired: row.serial_required },
    status: row.status,
    proposedBy: row.proposed_by,
    reviewNote: row.review_note,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    offers: { activeOffers: row.active_offers, lowestUnitPrice: row.lowest_unit_price === null ? null : Number(row.lowest_unit_price), available: Number(row.available) },
  };
}

/** Products with their brand and the summary of their active offers (computed per returned row). */
const withOfferSummary = (offerScope: string): string => `
  SELECT p.*, b.name AS brand_name, s.active_offers, s.lowest_unit_price, s.available
    FROM product p
    JOIN brand b ON b.id = p.brand_id
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS active_offers, min(o.base_unit_price) AS lowest_unit_price, coalesce(sum(o.stock_available), 0) AS available
        FROM offer o WHERE o.product_id = p.id AND o.status = 'active' ${offerScope}
    ) s`;

/**
 * Product search with each product's offer summary. Filters run on product columns (indexed;
 * text through a trigram index), pages are keyset on (name, id), and the summary is computed
 * only for the rows of the page, from the partial index of active offers per product.
 */
@Injectable()
export class ProductSearch {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Which products the caller may see: operators all, suppliers active ones and their own proposals, merchants active ones. */
  private visibility(identity: Identity, params: unknown[]): string[] {
    if (identity.organisationType === 'operator') return [];
    if (identity.organisationType === 'supplier') return [`(p.status = 'active' OR p.proposed_by = $${params.push(identity.organisationId)})`];
    return [`p.status = 'active'`];
  }

  /** Suppliers summarise their own offers only; everyone else all active offers. */
  private offerScope(identity: Identity, params: unknown[]): string {
    return identity.organisationType === 'supplier' ? `AND o.supplier_id = $${params.push(identity.organisationId)}` : '';
  }

  async search(identity: Identity, query: SearchProductsQuery): Promise<CursorPage<ProductSearchItemDto>> {
    const params: unknown[] = [];
    const where = this.visibility(identity, params);
    const offerScope = this.offerScope(identity, params);
    if (query.status) where.push(`p.status = $${params.push(query.status)}`);
    if (query.q?.trim()) where.push(`p.search_text LIKE $${params.push(likePattern(query.q.trim()))}`);
    if (query.category) {
      where.push(`(p.category_code = $${params.push(query.category)} OR p.category_code LIKE $${params.push(`${query.category.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`)})`);
    }
    if (query.brandId) where.push(`p.brand_id = $${params.push(query.brandId)}`);
    if (query.faceValue !== undefined) where.push(`p.face_value = $${params.push(query.faceValue)}`);
    if (query.faceValueMin !== undefined) where.push(`p.face_value >= $${params.push(query.faceValueMin)}`);
    if (query.faceValueMax !== undefined) where.push(`p.face_value <= $${params.push(query.faceValueMax)}`);
    if (query.region) where.push(`p.region = $${params.push(query.region.toUpperCase())}`);
    if (query.inStock) where.push(`EXISTS (SELECT 1 FROM offer o WHERE o.product_id = p.id AND o.status = 'active' AND o.stock_available > 0 ${offerScope})`);
    if (query.cursor) {
      const [name, id] = decodeCursor(query.cursor, 2);
      where.push(`(p.name, p.id) > ($${params.push(String(name))}, $${params.push(String(id))}::uuid)`);
    }
    const rows: ProductRow[] = await this.dataSource.query(
      `${withOfferSummary(offerScope)}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY p.name, p.id
        LIMIT $${params.push(query.limit + 1)}`,
      params,
    );
    return toCursorPage(rows, query.limit, (row) => [row.name, row.id], toProductDto);
  }

  /** One product with its summary, if the caller may see it. */
  async get(identity: Identity, productId: string): Promise<ProductSearchItemDto | undefined> {
    const params: unknown[] = [productId];
    const where = this.visibility(identity, params);
    const offerScope = this.offerScope(identity, params);
    const rows: ProductRow[] = await this.dataSource.query(
      `${withOfferSummary(offerScope)}
        WHERE p.id = $1 ${where.length > 0 ? `AND ${where.join(' AND ')}` : ''}`,
      params,
    );
    return rows[0] ? toProductDto(rows[0]) : undefined;
  }
}
