import { DomainError } from '@kami/platform';
import type { QuoteRefusal } from './routing/order-routing';

/** Stable codes of the ordering domain (see each factory for when they are used). */
export const OrderingErrorCode = {
  OrderNotFound: 'order_not_found',
  OrderNotCancellable: 'order_not_cancellable',
  ExternalRefTaken: 'external_ref_taken',
  IdempotencyKeyReused: 'idempotency_key_reused',
  InsufficientStock: 'insufficient_stock',
  InsufficientBalance: 'insufficient_balance',
  PriceAboveLimit: 'price_above_limit',
  OfferNotFound: 'offer_not_found',
  OfferUnavailable: 'offer_unavailable',
  ProductUnavailable: 'product_unavailable',
  QuantityNotOrderable: 'quantity_not_orderable',
  MixedCurrencies: 'mixed_currencies',
  AmountTooLarge: 'amount_too_large',
} as const;

export class OrderingError extends DomainError {}

export const orderNotFound = (): OrderingError =>
  // Also for another merchant's order: whether it exists is none of the caller's business.
  new OrderingError(OrderingErrorCode.OrderNotFound, 404, 'No such order.');
export const orderNotCancellable = (status: string): OrderingError =>
  new OrderingError(OrderingErrorCode.OrderNotCancellable, 409, `A ${status} order can no longer be cancelled; only orders not yet paid can.`, { orderStatus: status });
export const externalRefTaken = (orderId: string): OrderingError =>
  new OrderingError(OrderingErrorCode.ExternalRefTaken, 409, 'You already have an order with this externalRef.', { orderId });
export const idempotencyKeyReused = (): OrderingError =>
  // The same code as the platform's interceptor: it answers first; this is the order's own guard behind it.
  new OrderingError(OrderingErrorCode.IdempotencyKeyReused, 422, 'This Idempotency-Key was already used for a different order; use a new key for a new order.');
export const insufficientBalance = (balance: number, total: number, currency: string): OrderingError =>
  new OrderingError(OrderingErrorCode.InsufficientBalance, 402, `Your ${currency} wallet holds ${balance} and the order costs ${total} (minor units).`, { balance, total, currency });

/** A quote refusal as the problem the merchant sees. */
export function quoteRefused(refusal: QuoteRefusal): OrderingError {
  switch (refusal.kind) {
    case 'insufficient_stock':
      return new OrderingError(OrderingErrorCode.InsufficientStock, 409, 'Not enough codes in stock for every line.', { shortfall: refusal.shortfall });
    case 'price_above_limit':
      return new OrderingError(OrderingErrorCode.PriceAboveLimit, 422, `Line ${refusal.line} would cost ${refusal.unitPrice} per code, above its maxUnitPrice of ${refusal.maxUnitPrice}.`, {
        line: refusal.line,
        offerId: refusal.offerId,
        unitPrice: refusal.unitPrice,
        maxUnitPrice: refusal.maxUnitPrice,
      });
    case 'offer_not_found':
      return new OrderingError(OrderingErrorCode.OfferNotFound, 404, `Line ${refusal.line} names an offer that does not exist.`, { line: refusal.line });
    case 'offer_unavailable':
      return new OrderingError(OrderingErrorCode.OfferUnavailable, 409, `Line ${refusal.line} names an offer that is ${refusal.status}, not on sale.`, { line: refusal.line, offerStatus: refusal.status });
    case 'product_unavailable':
      return new OrderingError(OrderingErrorCode.ProductUnavailable, 409, `Line ${refusal.line} names a product no supplier offers right now.`, { line: refusal.line });
    case 'quantity_not_orderable':
      return new OrderingError(OrderingErrorCode.QuantityNotOrderable, 422, `Line ${refusal.line}: ${refusal.reason}`, { line: refusal.line });
    case 'mixed_currencies':
      return new OrderingError(OrderingErrorCode.MixedCurrencies, 422, 'All lines of an order must be priced in one currency.', { currencies: refusal.currencies });
    case 'amount_too_large':
      return new OrderingError(OrderingErrorCode.AmountTooLarge, 422, 'The order is too large to price exactly; split it.');
  }
}
