import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_LINE_QUANTITY } from '@kami/contracts';
import { CursorPageQuery } from '@kami/platform';
import { MAX_UNIT_PRICE } from '@kami/pricing';

export const RESTOCK_REQUEST_STATUSES = ['requested', 'placed', 'refused', 'delivered', 'cancelled', 'expired'] as const;
export type RestockRequestStatus = (typeof RESTOCK_REQUEST_STATUSES)[number];

/** A merchant's purchased stock of one product. */
export class StockLevelDto {
  @ApiProperty() productId!: string;
  @ApiProperty({ description: 'codes in stock not pulled yet' }) available!: number;
  @ApiPropertyOptional({ nullable: true, description: 'low below this many codes; null: no alert set' }) lowStockThreshold!: number | null;
  @ApiProperty({ description: 'available is below lowStockThreshold' }) low!: boolean;
  @ApiPropertyOptional({ nullable: true, description: 'when a pull last took the stock below the threshold (the delivery.stock.low event); cleared when it is back at or above' })
  lowSince!: string | null;
  @ApiProperty({ description: 'an auto-restock rule is set for the product (GET …/restock-rule reads it; 404 without one)' }) autoRestock!: boolean;
}

export class StockLevelPageDto {
  @ApiProperty({ type: [StockLevelDto] }) items!: StockLevelDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}

export class StockLevelsQuery extends CursorPageQuery {
  @ApiPropertyOptional({ description: 'true: only products whose stock is below their low-stock threshold (the alerts)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  low?: boolean;
}

export class StockSettingsDto {
  @ApiProperty({ minimum: 0, maximum: MAX_LINE_QUANTITY, description: 'alert (delivery.stock.low, and low: true) when a pull leaves fewer codes than this; 0: never' })
  @IsInt()
  @Min(0)
  @Max(MAX_LINE_QUANTITY)
  lowStockThreshold!: number;
}

export class RestockRuleInputDto {
  @ApiProperty({ minimum: 1, maximum: MAX_LINE_QUANTITY, description: 'order when a pull leaves fewer codes than this' })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  belowQuantity!: number;

  @ApiProperty({ minimum: 1, maximum: MAX_LINE_QUANTITY, description: 'codes each restock order buys' })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  orderQuantity!: number;

  @ApiProperty({ minimum: 0, maximum: MAX_UNIT_PRICE, description: 'the order is refused if any code would cost more, minor units (fen)' })
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_PRICE)
  maxUnitPrice!: number;
}

/** One order an auto-restock rule asked ordering for, and what became of it. */
export class RestockRequestDto {
  @ApiProperty() requestId!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty() maxUnitPrice!: number;
  @ApiProperty({ enum: RESTOCK_REQUEST_STATUSES, description: 'requested → placed → delivered, or refused (nothing ordered), cancelled, expired (no answer in time)' })
  status!: RestockRequestStatus;
  @ApiPropertyOptional({ nullable: true, description: 'the order (externalRef restock:<requestId>)' }) orderId!: string | null;
  @ApiPropertyOptional({ nullable: true, description: "ordering's problem code when refused (insufficient_balance, price_above_limit, insufficient_stock, …)" }) refusalCode!: string | null;
  @ApiProperty() requestedAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class RestockRuleDto extends RestockRuleInputDto {
  @ApiProperty() productId!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional({ type: RestockRequestDto, nullable: true, description: 'the newest request of this product' }) lastRequest!: RestockRequestDto | null;
  @ApiPropertyOptional({
    nullable: true,
    description:
      'after requests in a row that came to nothing (refused, or the order cancelled), no new request before this time (the wait doubles each time; a delivered restock or a change of the rule resets it); null: the next low pull asks at once',
  })
  retryAfter!: string | null;
}

export class PulledCodeDto {
  @ApiProperty({ example: '1042' }) codeId!: string;
  @ApiProperty() productId!: string;
  @ApiProperty({ description: 'the plaintext code' }) code!: string;
  @ApiPropertyOptional() pin?: string;
  @ApiPropertyOptional() serial?: string;
  @ApiPropertyOptional() redemptionUrl?: string;
  @ApiPropertyOptional({ nullable: true }) expiresAt!: string | null;
}
