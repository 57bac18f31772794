import type { EntityManager } from 'typeorm';
import { decodeCursor, toCursorPage, type CursorPage, type Identity } from '@kami/platform';
import type { OfferPauseReason, OfferStatus } from '@kami/contracts';
import type { PriceTier } from '@kami/pricing';
import type { ListOffersQuery, OfferDto } from './offer.dto';

interface OfferRow {
  id: string;
  sku: string;
  supplier_id: string;
  supplier_name: string | null;
  product_id: string;
  product_name: string;
  brand_id: string;
  face_value: string;
  product_status: string;
  currency: string;
  price_tiers: PriceTier[];
  min_order_quantity: number;
  max_order_quantity: number | null;
  low_stock_threshold: number;
  allow_above_face_value: boolean;
  status: OfferStatus;
  paused_reason: OfferPauseReason | null;
  stock_available: number;
  stock_updated_at: Date | null;
  version: number;
  created_at: Date;
  /** Exact (microsecond) creation time for cursors; a JS Date keeps milliseconds only. */
  created_at_text: string;
  updated_at: Date;
}

const SELECT = `
  SELECT o.*, o.created_at::text AS created_at_text, s.name AS supplier_name, p.name AS product_name, p.face_value, p.status AS product_status
    FROM offer o
    JOIN product p ON p.id = o.product_id
    LEFT JOIN supplier s ON s.id = o.supplier_id`;

export function toOfferDto(row: OfferRow): OfferDto {
  return {
    id: row.id,
    sku: row.sku,
    supplier: { id: row.supplier_id, name: row.supplier_name },
    product: { id: row.product_id, name: row.product_name, brandId: row.brand_id, faceValue: Number(row.face_value), status: row.product_status },
    currency: row.currency,
    priceTiers: row.price_tiers,
    minOrderQuantity: row.min_order_quantity,
    maxOrderQuantity: row.max_order_quantity,
    lowStockThreshold: row.low_stock_threshold,
    allowAboveFaceValue: row.allow_above_face_value,
    status: row.status,
    pausedReason: row.paused_reason,
    stock: { available: row.stock_available, low: row.stock_available <= row.low_stock_threshold, updatedAt: row.stock_updated_at?.toISOString() ?? null },
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Who sees which offers: a supplier its own (any status), a merchant active ones of any
 * supplier, an operator all. Everything else is "not found", never "forbidden".
 */
export function offerVisibility(identity: Identity, params: unknown[]): string[] {
  if (identity.organisationType === 'supplier') return [`o.supplier_id = $${params.push(identity.organisationId)}`];
  if (identity.organisationType === 'merchant') return [`o.status = 'active'`];
  return [];
}

export async function findVisibleOffer(manager: EntityManager, identity: Identity, offerId: string): Promise<OfferDto | undefined> {
  const params: unknown[] = [offerId];
  const where = [`o.id = $1`, ...offerVisibility(identity, params)];
  const rows: OfferRow[] = await manager.query(`${SELECT} WHERE ${where.join(' AND ')}`, params);
  return rows[0] ? toOfferDto(rows[0]) : undefined;
}

/** Newest first, keyset on (created_at, id). */
export async function listVisibleOffers(manager: EntityManager, identity: Identity, query: ListOffersQuery): Promise<CursorPage<OfferDto>> {
  const params: unknown[] = [];
  const where = offerVisibility(identity, params);
  if (query.productId) where.push(`o.product_id = $${params.push(query.productId)}`);
  if (query.status) where.push(`o.status = $${params.push(query.status)}`);
  if (query.supplierId && identity.organisationType !== 'supplier') where.push(`o.supplier_id = $${params.push(query.supplierId)}`);
  if (query.cursor) {
    const [createdAt, id] = decodeCursor(query.cursor, 2);
    where.push(`(o.created_at, o.id) < ($${params.push(createdAt)}::timestamptz, $${params.push(id)}::uuid)`);
  }
  const rows: OfferRow[] = await manager.query(
    `${SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY o.created_at DESC, o.id DESC LIMIT $${params.push(query.limit + 1)}`,
    params,
  );
  return toCursorPage(rows, query.limit, (row) => [row.created_at_text, row.id], toOfferDto);
}
