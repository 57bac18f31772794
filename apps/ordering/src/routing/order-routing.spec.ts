import { quoteOrder, type RoutableOffer } from './order-routing';

const PRODUCT = '00000000-0000-4000-8000-000000000001';
const OTHER_PRODUCT = '00000000-0000-4000-8000-000000000002';

function offer(id: string, overrides: Partial<RoutableOffer> = {}): RoutableOffer {
  return {
    offerId: id,
    productId: PRODUCT,
    supplierId: `supplier-${id}`,
    currency: 'CNY',
    status: 'active',
    priceTiers: [{ minQuantity: 1, unitPrice: 1000 }],
    minOrderQuantity: 1,
    maxOrderQuantity: null,
    available: 100,
    ...overrides,
  };
}

describe('quoteOrder', () => {
  it('routes a product line to the cheapest offer with stock, at its tier price', () => {
    const offers = [
      offer('a', { priceTiers: [{ minQuantity: 1, unitPrice: 1000 }] }),
      offer('b', { priceTiers: [{ minQuantity: 1, unitPrice: 1100 }, { minQuantity: 10, unitPrice: 950 }] }),
    ];
    const result = quoteOrder([{ productId: PRODUCT, quantity: 10 }], offers);
    expect(result).toEqual({
      ok: true,
      quote: { currency: 'CNY', total: 9500, lines: [{ requestIndex: 0, productId: PRODUCT, offerId: 'b', supplierId: 'supplier-b', quantity: 10, unitPrice: 950, lineTotal: 9500, maxUnitPrice: null }] },
    });
  });

  it('splits a product line across offers when the cheapest has too little, each at its own tier price', () => {
    const offers = [offer('a', { available: 6, priceTiers: [{ minQuantity: 1, unitPrice: 900 }] }), offer('b', { available: 50, priceTiers: [{ minQuantity: 1, unitPrice: 1000 }] })];
    const result = quoteOrder([{ productId: PRODUCT, quantity: 10 }], offers);
    if (!result.ok) throw new Error(JSON.stringify(result.refusal));
    expect(result.quote.lines.map((l) => [l.offerId, l.quantity, l.unitPrice, l.lineTotal])).toEqual([
      ['a', 6, 900, 5400],
      ['b', 4, 1000, 4000],
    ]);
    expect(result.quote.total).toBe(9400);
  });

  it('leaves out offers that are not active or belong to another product', () => {
    const offers = [offer('a', { status: 'paused', priceTiers: [{ minQuantity: 1, unitPrice: 1 }] }), offer('b', { productId: OTHER_PRODUCT, priceTiers: [{ minQuantity: 1, unitPrice: 2 }] }), offer('c')];
    const result = quoteOrder([{ productId: PRODUCT, quantity: 3 }], offers);
    expect(result.ok && result.quote.lines.map((l) => l.offerId)).toEqual(['c']);
  });

  it('counts stock once across lines that draw on the same offer', () => {
    const offers = [offer('a', { available: 10 })];
    const result = quoteOrder([{ offerId: 'a', quantity: 6 }, { productId: PRODUCT, quantity: 6 }], offers);
    expect(result).toEqual({ ok: false, refusal: { kind: 'insufficient_stock', shortfall: [{ line: 1, requested: 6, available: 4 }] } });
  });

  it('refuses a line the stock cannot cover, naming what is available', () => {
    expect(quoteOrder([{ offerId: 'a', quantity: 11 }], [offer('a', { available: 10 })])).toEqual({
      ok: false,
      refusal: { kind: 'insufficient_stock', shortfall: [{ line: 0, requested: 11, available: 10 }] },
    });
    expect(quoteOrder([{ productId: PRODUCT, quantity: 30 }], [offer('a', { available: 10 }), offer('b', { available: 5 })])).toEqual({
      ok: false,
      refusal: { kind: 'insufficient_stock', shortfall: [{ line: 0, requested: 30, available: 15 }] },
    });
  });

  it('refuses a routed unit price above the line’s limit', () => {
    const offers = [offer('a', { available: 5, priceTiers: [{ minQuantity: 1, unitPrice: 900 }] }), offer('b', { priceTiers: [{ minQuantity: 1, unitPrice: 1200 }] })];
    expect(quoteOrder([{ productId: PRODUCT, quantity: 8, maxUnitPrice: 1000 }], offers)).toEqual({
      ok: false,
      refusal: { kind: 'price_above_limit', line: 0, offerId: 'b', unitPrice: 1200, maxUnitPrice: 1000 },
    });
    expect(quoteOrder([{ productId: PRODUCT, quantity: 5, maxUnitPrice: 900 }], offers).ok).toBe(true);
  });

  it('uses an offer line as asked, within the offer’s quantity limits', () => {
    const offers = [offer('a', { minOrderQuantity: 5, maxOrderQuantity: 20, priceTiers: [{ minQuantity: 5, unitPrice: 800 }] })];
    expect(quoteOrder([{ offerId: 'a', quantity: 3 }], offers)).toMatchObject({ ok: false, refusal: { kind: 'quantity_not_orderable', line: 0 } });
    expect(quoteOrder([{ offerId: 'a', quantity: 21 }], offers)).toMatchObject({ ok: false, refusal: { kind: 'quantity_not_orderable', line: 0 } });
    expect(quoteOrder([{ offerId: 'a', quantity: 5 }], offers)).toMatchObject({ ok: true, quote: { total: 4000 } });
  });

  it('refuses unknown and inactive offers, products without offers, and mixed currencies', () => {
    expect(quoteOrder([{ offerId: 'x', quantity: 1 }], [offer('a')])).toEqual({ ok: false, refusal: { kind: 'offer_not_found', line: 0 } });
    expect(quoteOrder([{ offerId: 'a', quantity: 1 }], [offer('a', { status: 'delisted' })])).toEqual({ ok: false, refusal: { kind: 'offer_unavailable', line: 0, status: 'delisted' } });
    expect(quoteOrder([{ productId: OTHER_PRODUCT, quantity: 1 }], [offer('a')])).toEqual({ ok: false, refusal: { kind: 'product_unavailable', line: 0 } });
    expect(quoteOrder([{ offerId: 'a', quantity: 1 }, { offerId: 'b', quantity: 1 }], [offer('a'), offer('b', { currency: 'USD' })])).toEqual({
      ok: false,
      refusal: { kind: 'mixed_currencies', currencies: ['CNY', 'USD'] },
    });
  });
});
