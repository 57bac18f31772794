// class-transformer's @Type reads decorator metadata while the class loads.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

export const OFFER_STATUSES = ['draft', 'active', 'paused', 'delisted'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/** Why an offer is paused: by its supplier, or by the platform when a precondition lapsed. */
export const OFFER_PAUSE_REASONS = [
  'by_supplier',
  'by_operator',
  'brand_authorisation_revoked',
  'brand_authorisation_expired',
  'product_retired',
  'product_brand_changed',
  // the supplier's deposit fell below the platform's minimum; resumed by itself once covered again
  'deposit_insufficient',
] as const;
export type OfferPauseReason = (typeof OFFER_PAUSE_REASONS)[number];

export const OFFER_CHANGES = ['created', 'updated', 'activated', 'paused', 'delisted'] as const;
export type OfferChange = (typeof OFFER_CHANGES)[number];

export class PriceTierPayload {
  @IsInt()
  @Min(1)
  minQuantity!: number;

  /** Price per code in minor units (fen), for this quantity and more. */
  @IsInt()
  @Min(1)
  unitPrice!: number;
}

/** A supplier's offer as it is now (a full snapshot). Stock is not here: vault owns it (vault.stock.v1). */
export class OfferChangedPayload {
  @IsUUID()
  offerId!: string;

  @IsInt()
  @Min(1)
  version!: number;

  @IsIn(OFFER_CHANGES)
  change!: OfferChange;

  @IsUUID()
  productId!: string;

  @IsUUID()
  supplierId!: string;

  @IsString()
  @MaxLength(64)
  sku!: string;

  @IsIn(OFFER_STATUSES)
  status!: OfferStatus;

  @IsOptional()
  @IsIn(OFFER_PAUSE_REASONS)
  pausedReason?: OfferPauseReason | null;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @ValidateNested({ each: true })
  @Type(() => PriceTierPayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  priceTiers!: PriceTierPayload[];

  @IsInt()
  @Min(1)
  minOrderQuantity!: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  maxOrderQuantity?: number | null;

  @IsInt()
  @Min(0)
  lowStockThreshold!: number;
}

export const OfferChanged = defineEvent('catalog.offer.changed', Topics.CatalogOffer, OfferChangedPayload);
