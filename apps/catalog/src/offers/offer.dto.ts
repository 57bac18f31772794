import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { OFFER_PAUSE_REASONS, OFFER_STATUSES, type OfferPauseReason, type OfferStatus } from '@kami/contracts';
import { CursorPageQuery } from '@kami/platform';
import { MAX_TIERS, MAX_UNIT_PRICE } from '@kami/pricing';

/** Largest quantity one order line (or one comparison) may ask for. */
export const MAX_ORDER_QUANTITY = 1_000_000;

export class PriceTierDto {
  @ApiProperty({ example: 100, description: 'this price applies from this quantity up' })
  @IsInt()
  @Min(1)
  @Max(MAX_ORDER_QUANTITY)
  minQuantity!: number;

  @ApiProperty({ example: 9500, description: 'price per code in fen (9500 = ¥95.00)' })
  @IsInt()
  @Min(1)
  @Max(MAX_UNIT_PRICE)
  unitPrice!: number;
}

export class OfferTermsDto {
  @ApiProperty({ type: [PriceTierDto], example: [{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 100, unitPrice: 9500 }, { minQuantity: 1000, unitPrice: 9450 }] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TIERS)
  @ValidateNested({ each: true })
  @Type(() => PriceTierDto)
  priceTiers!: PriceTierDto[];

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ORDER_QUANTITY)
  minOrderQuantity?: number;

  @ApiPropertyOptional({ nullable: true, description: 'null: no maximum' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(MAX_ORDER_QUANTITY)
  maxOrderQuantity?: number | null;

  @ApiPropertyOptional({ default: 0, description: 'vault announces low stock when available codes fall to this' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ORDER_QUANTITY)
  lowStockThreshold?: number;

  @ApiPropertyOptional({ default: false, description: 'needed to price a tier above the product’s face value' })
  @IsOptional()
  @IsBoolean()
  allowAboveFaceValue?: boolean;
}

export class CreateOfferDto extends OfferTermsDto {
  @ApiProperty()
  @IsUUID()
  productId!: string;

  @ApiProperty({ example: 'STEAM-CN-100', description: 'your own SKU code, unique among your offers' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'sku must be 1–64 letters, digits, dots, dashes or underscores' })
  sku!: string;
}

/** Fields a supplier may change; tiers replace the old list whole. */
export class UpdateOfferDto extends PartialType(OfferTermsDto) {}

export class ListOffersQuery extends CursorPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  productId?: string;

  @ApiPropertyOptional({ enum: OFFER_STATUSES, description: 'merchants always see active offers only' })
  @IsOptional()
  @IsIn(OFFER_STATUSES)
  status?: OfferStatus;

  @ApiPropertyOptional({ description: 'operators and merchants; a supplier always sees its own' })
  @IsOptional()
  @IsUUID()
  supplierId?: string;
}

export class SupplierRefDto {
  @ApiProperty() id!: string;
  @ApiPropertyOptional({ nullable: true, description: 'null until the catalog has heard of the supplier' }) name!: string | null;
}

export class OfferProductDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() brandId!: string;
  @ApiProperty({ description: 'fen' }) faceValue!: number;
  @ApiProperty() status!: string;
}

export class OfferStockDto {
  @ApiProperty({ description: 'codes available now, as vault last reported' }) available!: number;
  @ApiProperty({ description: 'available is at or below the low-stock threshold' }) low!: boolean;
  @ApiPropertyOptional({ nullable: true }) updatedAt!: string | null;
}

export class OfferDto {
  @ApiProperty() id!: string;
  @ApiProperty() sku!: string;
  @ApiProperty({ type: SupplierRefDto }) supplier!: SupplierRefDto;
  @ApiProperty({ type: OfferProductDto }) product!: OfferProductDto;
  @ApiProperty() currency!: string;
  @ApiProperty({ type: [PriceTierDto] }) priceTiers!: PriceTierDto[];
  @ApiProperty() minOrderQuantity!: number;
  @ApiPropertyOptional({ nullable: true }) maxOrderQuantity!: number | null;
  @ApiProperty() lowStockThreshold!: number;
  @ApiProperty() allowAboveFaceValue!: boolean;
  @ApiProperty({ enum: OFFER_STATUSES }) status!: OfferStatus;
  @ApiPropertyOptional({ enum: OFFER_PAUSE_REASONS, nullable: true }) pausedReason!: OfferPauseReason | null;
  @ApiProperty({ type: OfferStockDto }) stock!: OfferStockDto;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class OfferPageDto {
  @ApiProperty({ type: [OfferDto] }) items!: OfferDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}
