// class-transformer's @Type reads decorator metadata while the class loads.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';

export const PRODUCT_STATUSES = ['proposed', 'active', 'rejected', 'retired'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export const PIN_POLICIES = ['none', 'optional', 'required'] as const;
export type PinPolicy = (typeof PIN_POLICIES)[number];

/**
 * What a product's codes look like; vault checks every uploaded line against it. Patterns are
 * JavaScript regular expressions (unicode mode) that must match the whole value.
 */
export class CodeFormat {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  codePattern!: string;

  /** Card number + password pairs need a PIN; `none` means a line must not carry one. */
  @IsIn(PIN_POLICIES)
  pin!: PinPolicy;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  pinPattern?: string | null;

  /** Whether a line carries a serial number beside the code (some gift cards print one). */
  @IsBoolean()
  serialRequired!: boolean;
}

/** A product as it is now (a full snapshot, so projections never need history). */
export class ProductChangedPayload {
  @IsUUID()
  productId!: string;

  /** Increases with every change of the product; projections ignore older snapshots. */
  @IsInt()
  @Min(1)
  version!: number;

  @IsIn(['created', 'updated', 'approved', 'rejected', 'retired'])
  change!: 'created' | 'updated' | 'approved' | 'rejected' | 'retired';

  @IsIn(PRODUCT_STATUSES)
  status!: ProductStatus;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @IsUUID()
  brandId!: string;

  @IsString()
  @MaxLength(200)
  brandName!: string;

  @IsString()
  @MaxLength(200)
  categoryCode!: string;

  /** Face value in minor units (fen for CNY). */
  @IsInt()
  @Min(1)
  faceValue!: number;

  @Length(3, 3)
  @Matches(/^[A-Z]{3}$/)
  currency!: string;

  @IsString()
  @MaxLength(50)
  region!: string;

  @ValidateNested()
  @Type(() => CodeFormat)
  codeFormat!: CodeFormat;
}

export const ProductChanged = defineEvent('catalog.product.changed', Topics.CatalogProduct, ProductChangedPayload);
