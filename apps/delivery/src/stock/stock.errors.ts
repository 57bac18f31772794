import { DomainError } from '@kami/platform';

/** Stable codes of purchased stock (see each factory for when they are used). */
export const StockErrorCode = {
  StockExhausted: 'stock_exhausted',
  RestockRuleNotFound: 'restock_rule_not_found',
} as const;

export class StockError extends DomainError {}

export const stockExhausted = (productId: string): StockError =>
  // Also for a product the caller never bought: its own stock of it is simply empty.
  new StockError(StockErrorCode.StockExhausted, 409, 'Your purchased stock of this product is empty; buy more (fulfilment: stock) or set an auto-restock rule.', { productId });

export const restockRuleNotFound = (): StockError => new StockError(StockErrorCode.RestockRuleNotFound, 404, 'You have no auto-restock rule for this product.');
