import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { OfferPauseReason, OfferStatus } from '@kami/contracts';
import type { PriceTier } from '@kami/pricing';
import { bigintNumber } from '@kami/platform';

@Entity({ name: 'offer' })
export class OfferEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'supplier_id' })
  supplierId!: string;

  @Column('uuid', { name: 'product_id' })
  productId!: string;

  /** The product's brand, kept here so a revoked authorisation finds its offers with one index. */
  @Column('uuid', { name: 'brand_id' })
  brandId!: string;

  @Column('text')
  sku!: string;

  @Column('char', { length: 3 })
  currency!: string;

  /** Sorted by minQuantity; unit prices in fen. */
  @Column('jsonb', { name: 'price_tiers' })
  priceTiers!: PriceTier[];

  /** The first tier's unit price (the "from" price), for sorting and summaries. */
  @Column('bigint', { name: 'base_unit_price', transformer: bigintNumber })
  baseUnitPrice!: number;

  @Column('integer', { name: 'min_order_quantity' })
  minOrderQuantity!: number;

  @Column('integer', { name: 'max_order_quantity', nullable: true })
  maxOrderQuantity!: number | null;

  @Column('integer', { name: 'low_stock_threshold' })
  lowStockThreshold!: number;

  @Column('boolean', { name: 'allow_above_face_value' })
  allowAboveFaceValue!: boolean;

  @Column('text')
  status!: OfferStatus;

  @Column('text', { name: 'paused_reason', nullable: true })
  pausedReason!: OfferPauseReason | null;

  /** Codes available, as last reported by vault (vault.stock.v1). */
  @Column('integer', { name: 'stock_available' })
  stockAvailable!: number;

  /** Sequence of the stock event applied last; older or replayed events are ignored. */
  @Column('bigint', { name: 'stock_sequence', transformer: bigintNumber })
  stockSequence!: number;

  @Column('timestamptz', { name: 'stock_updated_at', nullable: true })
  stockUpdatedAt!: Date | null;

  @Column('integer')
  version!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
