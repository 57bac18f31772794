import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES, ORDER_FULFILMENTS, type OrderFulfilment } from '@kami/contracts';
import { CursorPageQuery } from '@kami/platform';
import { MAX_UNIT_PRICE } from '@kami/pricing';
import { ORDER_STATUSES, type OrderStatus } from './order-state';

/** Refuses a line that names both a product and an offer. */
const NotWithProductId = (): PropertyDecorator =>
  ValidateBy({
    name: 'notWithProductId',
    validator: {
      validate: (_value, args) => (args?.object as { productId?: unknown }).productId === undefined,
      defaultMessage: () => 'a line names either productId (routed to the best offers) or offerId (that offer), not both',
    },
  });

export class OrderLineRequestDto {
  @ApiPropertyOptional({ description: 'route to the cheapest offers of this product with stock (split across suppliers when needed)' })
  @ValidateIf((line: OrderLineRequestDto) => line.offerId === undefined || line.productId !== undefined)
  @IsUUID()
  productId?: string;

  @ApiPropertyOptional({ description: 'buy from this offer only' })
  @ValidateIf((line: OrderLineRequestDto) => line.productId === undefined || line.offerId !== undefined)
  @IsUUID()
  @NotWithProductId()
  offerId?: string;

  @ApiProperty({ minimum: 1, maximum: MAX_LINE_QUANTITY })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;

  @ApiPropertyOptional({ description: 'refuse the order (422 price_above_limit) if any code of this line would cost more, in minor units (fen)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_UNIT_PRICE)
  maxUnitPrice?: number;
}

/** What a quote is asked for: the lines of an order, nothing that would identify one. */
export class QuoteOrderDto {
  @ApiProperty({ type: [OrderLineRequestDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ValidateNested({ each: true })
  @Type(() => OrderLineRequestDto)
  lines!: OrderLineRequestDto[];
}

export class CreateOrderDto extends QuoteOrderDto {
  @ApiPropertyOptional({
    enum: ORDER_FULFILMENTS,
    default: 'codes',
    description: 'codes: read this order’s codes (GET /api/v1/orders/{id}/codes, CSV, webhook); stock: add them to your purchased stock of each product, pulled one by one (POST /api/v1/stock/{productId}/pull)',
  })
  @IsOptional()
  @IsIn(ORDER_FULFILMENTS)
  fulfilment?: OrderFulfilment;

  @ApiPropertyOptional({ description: 'your own reference (unique among your orders); find the order by it with GET /api/v1/orders?externalRef=' })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,128}$/, { message: 'externalRef must be 1–128 printable ASCII characters without spaces' })
  externalRef?: string;
}

export class ListOrdersQuery extends CursorPageQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  externalRef?: string;

  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;

  @ApiPropertyOptional({ description: 'orders with a line of this product' })
  @IsOptional()
  @IsUUID()
  productId?: string;

  @ApiPropertyOptional({ description: 'placed at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'placed before (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

/** A routed line: one offer of one supplier, a quantity and its tier price. */
export class RoutedLineDto {
  @ApiProperty({ description: 'index of the requested line it serves; a product line split across offers has several' }) requestIndex!: number;
  @ApiProperty() productId!: string;
  @ApiProperty() offerId!: string;
  @ApiProperty() supplierId!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ description: 'tier price, minor units (on an order: fixed when it was placed)' }) unitPrice!: number;
  @ApiProperty({ description: 'quantity × unitPrice' }) lineTotal!: number;
  @ApiPropertyOptional({ nullable: true }) maxUnitPrice!: number | null;
}

/** What an order with these lines would be if placed now; nothing is stored or reserved. */
export class OrderQuoteDto {
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'minor units' }) total!: number;
  @ApiProperty({ type: [RoutedLineDto] }) lines!: RoutedLineDto[];
  @ApiPropertyOptional({ nullable: true, description: 'your wallet balance in this currency as ordering last heard it, minor units; null when not known (settlement decides when it charges)' })
  balance!: number | null;
  @ApiPropertyOptional({ nullable: true, description: 'whether that balance covers the total; null when the balance is not known' })
  covered!: boolean | null;
}

export class OrderLineDto extends RoutedLineDto {
  @ApiProperty({ description: 'this line’s id (vault’s reservation id)' }) id!: string;
  @ApiProperty({ description: 'codes sold to this line so far' }) allocated!: number;
  @ApiProperty({ description: 'vault could not sell this line’s codes (the money goes back)' }) failed!: boolean;
}

export class OrderTransitionDto {
  @ApiPropertyOptional({ enum: ORDER_STATUSES, nullable: true }) from!: OrderStatus | null;
  @ApiProperty({ enum: ORDER_STATUSES }) to!: OrderStatus;
  @ApiPropertyOptional({ nullable: true }) reason!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'the event that caused it (or, for placed, the event announcing it)' }) eventId!: string | null;
  @ApiProperty() at!: string;
}

export class OrderDto {
  @ApiProperty() id!: string;
  @ApiProperty() buyerId!: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status!: OrderStatus;
  @ApiPropertyOptional({ nullable: true, description: 'why it was cancelled or failed' }) statusReason!: string | null;
  @ApiPropertyOptional({ nullable: true }) externalRef!: string | null;
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'minor units' }) total!: number;
  @ApiProperty({ enum: ORDER_FULFILMENTS }) fulfilment!: OrderFulfilment;
  @ApiProperty({ type: [OrderLineDto] }) lines!: OrderLineDto[];
  @ApiPropertyOptional({ type: [OrderTransitionDto], description: 'on single-order answers' }) transitions?: OrderTransitionDto[];
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class OrderPageDto {
  @ApiProperty({ type: [OrderDto] }) items!: OrderDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor!: string | null;
}

/** The longest a reader may wait for an order to end (the gateway gives a request 60 s). */
export const MAX_ORDER_WAIT_SECONDS = 30;

export class GetOrderQuery {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_ORDER_WAIT_SECONDS,
    description: 'Long-poll: while the order has not ended (delivered, cancelled, failed), wait up to this many seconds and answer as soon as it does; 0 or absent answers at once.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_ORDER_WAIT_SECONDS)
  wait?: number;
}
