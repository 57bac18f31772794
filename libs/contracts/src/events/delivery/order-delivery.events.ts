// class-transformer's @Type reads decorator metadata while the class loads.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsUUID, Matches, ValidateNested } from 'class-validator';
import { Topics } from '../../topics/topics';
import { defineEvent } from '../event-definition';
import { MAX_LINE_QUANTITY, MAX_ORDER_LINES, ORDER_FULFILMENTS, type OrderFulfilment } from '../ordering/order.events';
import { CODE_ID_PATTERN } from '../vault/allocation.events';

/** The codes of one order line the buyer can now have (ids only, never plaintext). */
export class DeliveredLinePayload {
  @IsUUID()
  lineId!: string;

  @IsUUID()
  offerId!: string;

  @IsUUID()
  productId!: string;

  @IsArray()
  @ArrayMaxSize(MAX_LINE_QUANTITY)
  @Matches(CODE_ID_PATTERN, { each: true })
  codeIds!: string[];
}

/**
 * An order's sold codes are available to its buyer: readable per order (fulfilment `codes`), or
 * added to its purchased stock (`stock`). Ordering marks the order delivered on it; webhooks tell
 * the buyer. Published once per order by the delivery service.
 */
export class OrderDeliveredPayload {
  @IsUUID()
  orderId!: string;

  @IsUUID()
  buyerId!: string;

  @IsIn(ORDER_FULFILMENTS)
  fulfilment!: OrderFulfilment;

  @ValidateNested({ each: true })
  @Type(() => DeliveredLinePayload)
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  lines!: DeliveredLinePayload[];
}

export const OrderDelivered = defineEvent('delivery.order.delivered', Topics.DeliveryOrder, OrderDeliveredPayload);
