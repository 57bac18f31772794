import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { PIN_POLICIES, PRODUCT_STATUSES, type PinPolicy, type ProductStatus } from '@kami/contracts';
import { CursorPageQuery, toBoolean, toInt } from '@kami/platform';

/** Largest face value or price we accept: ¥10,000,000.00 in fen (totals stay exact integers). */
export const MAX_AMOUNT_FEN = 1_000_000_000;

export class CodeFormatDto {
  @ApiProperty({ example: '[0-9]{16}', description: 'regular expression (RE2 syntax, run in linear time; JavaScript \\u and \\p{Script=…} escapes are read too) the whole code must match; back-references and look-around are refused' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  codePattern!: string;

  @ApiProperty({ enum: PIN_POLICIES, example: 'required', description: 'whether a line carries a PIN/password (card number + password pairs)' })
  @IsIn(PIN_POLICIES)
  pin!: PinPolicy;

  @ApiPropertyOptional({ example: '[0-9]{8}', nullable: true })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  pinPattern?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  serialRequired?: boolean;
}

export class CreateProductDto {
  @ApiProperty({ example: 'Steam Wallet Code CN ¥100' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty()
  @IsUUID()
  brandId!: string;

  @ApiProperty({ example: 'game-cards.pc' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  categoryCode!: string;

  @ApiProperty({ example: 10000, description: 'face value in minor units (fen): 10000 = ¥100.00' })
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT_FEN)
  faceValue!: number;

  @ApiPropertyOptional({ example: 'CNY', default: 'CNY' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as CNY' })
  currency?: string;

  @ApiProperty({ example: 'CN', description: 'where the code redeems: a country or region code, or GLOBAL' })
  @IsString()
  @Matches(/^[A-Z]{2,10}$/, { message: 'region must be an upper-case region code such as CN, HK or GLOBAL' })
  region!: string;

  @ApiPropertyOptional({ example: 'Steam 客户端 → 账户 → 充值钱包 → 兑换钱包充值码' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  redemptionInstructions?: string;

  @ApiProperty({ type: CodeFormatDto })
  @ValidateNested()
  @Type(() => CodeFormatDto)
  codeFormat!: CodeFormatDto;
}

/** Operators curate any field; the product's version and event follow. */
export class UpdateProductDto extends PartialType(CreateProductDto) {}

export class ReviewProductDto {
  @ApiPropertyOptional({ example: 'Duplicate of an existing product' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;
}

export class SearchProductsQuery extends CursorPageQuery {
  @ApiPropertyOptional({ description: 'text in the name, brand or region (Chinese or Latin)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ example: 'game-cards', description: 'a category and everything below it' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  brandId?: string;

  @ApiPropertyOptional({ description: 'exact face value in fen' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  faceValue?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  faceValueMin?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  faceValueMax?: number;

  @ApiPropertyOptional({ example: 'CN' })
  @IsOptional()
  @IsString()
  @MaxLength(10)
  region?: string;

  @ApiPropertyOptional({ enum: PRODUCT_STATUSES, description: 'operators: any status; suppliers: their own proposals; merchants: active only' })
  @IsOptional()
  @IsIn(PRODUCT_STATUSES)
  status?: ProductStatus;

  @ApiPropertyOptional({ description: 'only products that at least one active offer has in stock' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  inStock?: boolean;
}

export class BrandRefDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
}

export class OfferSummaryDto {
  @ApiProperty({ description: 'active offers visible to the caller' }) activeOffers!: number;
  @ApiPropertyOptional({ nullable: true, description: 'lowest first-tier unit price in fen' }) lowestUnitPrice!: number | null;
  @ApiProperty({ description: 'codes available across those offers' }) available!: number;
}

export class ProductDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: BrandRefDto }) brand!: BrandRefDto;
  @ApiProperty() categoryCode!: string;
  @ApiProperty({ description: 'fen' }) faceValue!: number;
  @ApiProperty() currency!: string;
  @ApiProperty() region!: string;
  @ApiProperty() redemptionInstructions!: string;
  @ApiProperty({ type: CodeFormatDto }) codeFormat!: { codePattern: string; pin: PinPolicy; pinPattern: string | null; serialRequired: boolean };
  @ApiProperty({ enum: PRODUCT_STATUSES }) status!: ProductStatus;
  @ApiPropertyOptional({ nullable: true }) proposedBy!: string | null;
  @ApiPropertyOptional({ nullable: true }) reviewNote!: string | null;
  @ApiProperty() version!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class ProductSearchItemDto extends ProductDto {
  @ApiProperty({ type: OfferSummaryDto }) offers!: OfferSummaryDto;
}

export class ProductPageDto {
  @ApiProperty({ type: [ProductSearchItemDto] }) items!: ProductSearchItemDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}
