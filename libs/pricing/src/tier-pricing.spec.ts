import { PricingError, priceQuantity, unitPriceAt, type OfferTerms, type PriceTier } from './tier-pricing';

// 96.00 yuan per code, 95.00 from 100 codes, 94.50 from 1000.
const tiers: PriceTier[] = [
  { minQuantity: 1, unitPrice: 9600 },
  { minQuantity: 100, unitPrice: 9500 },
  { minQuantity: 1000, unitPrice: 9450 },
];
const terms = (overrides: Partial<OfferTerms> = {}): OfferTerms => ({
  priceTiers: tiers,
  minOrderQuantity: 1,
  maxOrderQuantity: null,
  ...overrides,
});

function caught(fn: () => unknown): PricingError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PricingError);
    return error as PricingError;
  }
  throw new Error('expected a PricingError, nothing was thrown');
}

describe('unitPriceAt', () => {
  it.each([
    [1, 9600],
    [99, 9600],
    [100, 9500],
    [999, 9500],
    [1000, 9450],
    [1_000_000, 9450],
  ])('prices %i codes at %i fen each', (quantity, price) => {
    expect(unitPriceAt(tiers, quantity)).toBe(price);
  });

  it('prices the same whatever order the tiers come in', () => {
    const shuffled = [tiers[2], tiers[0], tiers[1]];
    for (const quantity of [1, 99, 100, 999, 1000, 5000]) {
      expect(unitPriceAt(shuffled, quantity)).toBe(unitPriceAt(tiers, quantity));
    }
  });

  it('refuses a quantity below every tier, saying where pricing starts', () => {
    const error = caught(() => unitPriceAt([{ minQuantity: 10, unitPrice: 500 }], 9));
    expect(error.code).toBe('no_price_for_quantity');
    expect(error.details).toEqual({ quantity: 9, lowestTierMinQuantity: 10 });
  });

  it('has no price at all without tiers', () => {
    expect(caught(() => unitPriceAt([], 1)).code).toBe('no_price_for_quantity');
  });

  it.each([0, -1, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1])('refuses a quantity of %p', (quantity) => {
    expect(caught(() => unitPriceAt(tiers, quantity)).code).toBe('invalid_quantity');
  });
});

describe('priceQuantity', () => {
  it('returns the tier price and the exact total', () => {
    expect(priceQuantity(terms(), 99)).toEqual({ quantity: 99, unitPrice: 9600, total: 950_400 });
    expect(priceQuantity(terms(), 100)).toEqual({ quantity: 100, unitPrice: 9500, total: 950_000 });
  });

  it('keeps large totals exact integers', () => {
    const priced = priceQuantity(terms(), 1_000_000);
    expect(priced.total).toBe(9_450_000_000);
    expect(Number.isSafeInteger(priced.total)).toBe(true);
  });

  it('refuses a total that cannot be represented exactly instead of rounding it', () => {
    const error = caught(() => priceQuantity(terms({ priceTiers: [{ minQuantity: 1, unitPrice: 1_000_000_000 }] }), 10_000_000));
    expect(error.code).toBe('amount_too_large');
    expect(error.details).toEqual({ unitPrice: 1_000_000_000, quantity: 10_000_000 });
  });

  it('refuses fewer codes than the minimum order, with the limits in the details', () => {
    const error = caught(() => priceQuantity(terms({ minOrderQuantity: 50, maxOrderQuantity: 500 }), 49));
    expect(error.code).toBe('below_minimum_quantity');
    expect(error.details).toEqual({ minOrderQuantity: 50, maxOrderQuantity: 500, quantity: 49 });
    expect(priceQuantity(terms({ minOrderQuantity: 50, maxOrderQuantity: 500 }), 50).total).toBe(480_000);
  });

  it('refuses more codes than the maximum order', () => {
    const error = caught(() => priceQuantity(terms({ maxOrderQuantity: 500 }), 501));
    expect(error.code).toBe('above_maximum_quantity');
    expect(error.details).toEqual({ minOrderQuantity: 1, maxOrderQuantity: 500, quantity: 501 });
    expect(priceQuantity(terms({ maxOrderQuantity: 500 }), 500).unitPrice).toBe(9500);
  });

  it('reports the minimum order rather than a missing tier when both apply', () => {
    const error = caught(() => priceQuantity(terms({ priceTiers: [{ minQuantity: 10, unitPrice: 100 }], minOrderQuantity: 10 }), 5));
    expect(error.code).toBe('below_minimum_quantity');
  });

  it.each([0, -3, 2.5, NaN])('refuses a quantity of %p as invalid', (quantity) => {
    expect(caught(() => priceQuantity(terms(), quantity)).code).toBe('invalid_quantity');
  });

  it('is an Error with a readable message and name', () => {
    const error = caught(() => priceQuantity(terms({ maxOrderQuantity: 10 }), 11));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PricingError');
    expect(error.message).toContain('10');
  });
});
