import { DomainError } from '@kami/platform';

/** Stable codes of the order-codes routes (GET /api/v1/orders/{id}/codes and codes.csv). */
export const OrderCodesErrorCode = {
  OrderNotFound: 'order_not_found',
  CodesInStock: 'codes_in_stock',
  OrderNotDelivered: 'order_not_delivered',
} as const;

export const orderNotFound = (): DomainError =>
  // Also for another organisation's order: whether it exists is none of the caller's business.
  new DomainError(OrderCodesErrorCode.OrderNotFound, 404, 'No such order.');

export const codesInStock = (): DomainError =>
  new DomainError(OrderCodesErrorCode.CodesInStock, 409, "This order's codes went to your purchased stock: pull them from there, not per order.");

export const orderNotDelivered = (): DomainError =>
  new DomainError(OrderCodesErrorCode.OrderNotDelivered, 409, "The order's codes are not delivered yet; download them once it is delivered (GET .../codes?wait= tells when).", {
    retryable: true,
  });
