import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { toInt } from '@kami/platform';
import { MAX_ORDER_QUANTITY, PriceTierDto, SupplierRefDto } from '../offers/offer.dto';

export class CompareQuery {
  @ApiProperty({ example: 500, description: 'how many codes the merchant wants' })
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_ORDER_QUANTITY)
  quantity!: number;
}

export class SupplierRecordDto {
  @ApiProperty() deliveredCodes!: number;
  @ApiProperty() disputedCodes!: number;
}

export class ComparedSupplierDto extends SupplierRefDto {
  @ApiPropertyOptional({ type: SupplierRecordDto, nullable: true, description: 'fulfilment and dispute record; null until known' })
  record!: SupplierRecordDto | null;
}

export class ComparedOfferDto {
  @ApiProperty() offerId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty({ type: ComparedSupplierDto }) supplier!: ComparedSupplierDto;
  @ApiProperty({ type: [PriceTierDto] }) priceTiers!: PriceTierDto[];
  @ApiProperty() minOrderQuantity!: number;
  @ApiPropertyOptional({ nullable: true }) maxOrderQuantity!: number | null;
  @ApiProperty({ description: 'codes in stock' }) available!: number;
  @ApiProperty({ description: 'price per code at the asked quantity, fen' }) unitPrice!: number;
  @ApiProperty({ description: 'unitPrice × quantity, fen' }) total!: number;
}

export class SplitLineDto {
  @ApiProperty() offerId!: string;
  @ApiProperty({ type: ComparedSupplierDto }) supplier!: ComparedSupplierDto;
  @ApiProperty() quantity!: number;
  @ApiProperty() unitPrice!: number;
  @ApiProperty() total!: number;
}

export class SplitDto {
  @ApiProperty({ description: 'codes the split covers' }) quantity!: number;
  @ApiProperty({ description: 'fen' }) total!: number;
  @ApiProperty({ description: 'codes no offer has in stock' }) shortfall!: number;
  @ApiProperty({ type: [SplitLineDto] }) lines!: SplitLineDto[];
}

export class ComparisonDto {
  @ApiProperty() productId!: string;
  @ApiProperty() productName!: string;
  @ApiProperty({ description: 'fen' }) faceValue!: number;
  @ApiProperty() currency!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ type: [ComparedOfferDto], description: 'offers that can serve the whole quantity alone, cheapest at that quantity first' })
  offers!: ComparedOfferDto[];
  @ApiPropertyOptional({ type: SplitDto, nullable: true, description: 'the best-price split across offers, when no single offer can serve the quantity' })
  split!: SplitDto | null;
}
