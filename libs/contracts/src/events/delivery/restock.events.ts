import { IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { MAX_LINE_QUANTITY } from '../ordering/order.events';

/**
 * A merchant's purchased stock of a product fell below its low-stock threshold through a pull.
 * Sent once per crossing: the alarm re-arms when the stock is back at or above the threshold.
 */
export class PurchasedStockLowPayload {
  @IsUUID()
  buyerId!: string;

  @IsUUID()
  productId!: string;

  @IsInt()
  @Min(0)
  available!: number;

  @IsInt()
  @Min(0)
  threshold!: number;
}

/**
 * A command to ordering: place an order of `quantity` codes of the product for the buyer's
 * purchased stock (fulfilment `stock`), refusing any code above `maxUnitPrice` (fen). Ordering
 * places it once per `requestId` (its Idempotency-Key and externalRef are `restock:<requestId>`)
 * and answers with `ordering.restock.placed` or `ordering.restock.refused`.
 */
export class RestockRequestedPayload {
  @IsUUID()
  requestId!: string;

  @IsUUID()
  buyerId!: string;

  @IsUUID()
  productId!: string;

  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;

  @IsInt()
  @Min(0)
  maxUnitPrice!: number;
}

/** Ordering placed the restock order (or found the one it placed for this request before). */
export class RestockPlacedPayload {
  @IsUUID()
  requestId!: string;

  @IsUUID()
  buyerId!: string;

  @IsUUID()
  orderId!: string;
}

/** Ordering refused the restock order: nothing was placed. `code` is the order API's stable problem code. */
export class RestockRefusedPayload {
  @IsUUID()
  requestId!: string;

  @IsUUID()
  buyerId!: string;

  @Matches(/^[a-z0-9_]{1,100}$/)
  code!: string;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  detail?: string;
}

/** The external reference (and Idempotency-Key) of the order placed for a restock request. */
export const restockOrderRef = (requestId: string): string => `restock:${requestId}`;

export const PurchasedStockLow = defineEvent('delivery.stock.low', Topics.DeliveryStock, PurchasedStockLowPayload);
export const RestockRequested = defineEvent('delivery.restock.requested', Topics.DeliveryRestock, RestockRequestedPayload);
export const RestockPlaced = defineEvent('ordering.restock.placed', Topics.OrderingRestock, RestockPlacedPayload);
export const RestockRefused = defineEvent('ordering.restock.refused', Topics.OrderingRestock, RestockRefusedPayload);
