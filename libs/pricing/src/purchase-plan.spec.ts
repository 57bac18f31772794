import { planPurchase, rankOffersForQuantity, type SplitCandidate } from './purchase-plan';
import { PricingError, type PriceTier } from './tier-pricing';

const flat = (unitPrice: number): PriceTier[] => [{ minQuantity: 1, unitPrice }];
const ladder: PriceTier[] = [
  { minQuantity: 1, unitPrice: 9600 },
  { minQuantity: 100, unitPrice: 9500 },
  { minQuantity: 1000, unitPrice: 9450 },
];
const offer = (offerId: string, priceTiers: PriceTier[], available: number, limits: Partial<SplitCandidate> = {}): SplitCandidate => ({
  offerId,
  priceTiers,
  available,
  minOrderQuantity: 1,
  maxOrderQuantity: null,
  ...limits,
});

describe('planPurchase', () => {
  it('takes everything from the cheap offer, then the rest from the dearer one at its tier for that amount', () => {
    const plan = planPurchase([offer('dear', ladder, 10_000), offer('cheap', flat(9000), 300)], 1000);
    expect(plan).toEqual({
      requested: 1000,
      quantity: 1000,
      total: 300 * 9000 + 700 * 9500,
      shortfall: 0,
      lines: [
        { offerId: 'cheap', quantity: 300, unitPrice: 9000, total: 2_700_000 },
        // 700 codes sit in the 100+ tier (9500), not the 1000+ tier the whole order would reach.
        { offerId: 'dear', quantity: 700, unitPrice: 9500, total: 6_650_000 },
      ],
    });
  });

  it('uses one offer alone when it has the stock and the best price', () => {
    const plan = planPurchase([offer('big', ladder, 10_000), offer('small', flat(9500), 300)], 1000);
    expect(plan.lines).toEqual([{ offerId: 'big', quantity: 1000, unitPrice: 9450, total: 9_450_000 }]);
    expect(plan.total).toBe(9_450_000);
  });

  it('reports a shortfall when all the stock together is not enough', () => {
    const plan = planPurchase([offer('a', flat(9000), 300), offer('b', flat(9500), 200), offer('empty', flat(1), 0)], 1000);
    expect(plan).toMatchObject({ requested: 1000, quantity: 500, shortfall: 500, total: 300 * 9000 + 200 * 9500 });
    expect(plan.lines.map((l) => l.offerId)).toEqual(['a', 'b']);
  });

  it('plans nothing without offers', () => {
    expect(planPurchase([], 10)).toEqual({ requested: 10, quantity: 0, total: 0, shortfall: 10, lines: [] });
  });

  it('skips an offer whose minimum order exceeds what is left to buy', () => {
    const plan = planPurchase(
      [
        offer('cheap', flat(9000), 400),
        offer('bulk-only', flat(9200), 1000, { minOrderQuantity: 500 }),
        offer('dear', flat(9500), 1000),
      ],
      700,
    );
    // After 400 from `cheap`, 300 remain: below bulk-only's minimum of 500.
    expect(plan.lines.map((l) => [l.offerId, l.quantity])).toEqual([
      ['cheap', 400],
      ['dear', 300],
    ]);
    expect(plan.shortfall).toBe(0);
  });

  it('uses a bulk-only offer when the remainder reaches its minimum', () => {
    const plan = planPurchase([offer('bulk-only', flat(9200), 1000, { minOrderQuantity: 500 }), offer('dear', flat(9500), 1000)], 800);
    expect(plan.lines).toEqual([{ offerId: 'bulk-only', quantity: 800, unitPrice: 9200, total: 7_360_000 }]);
  });

  it('takes no more than an offer allows per order', () => {
    const plan = planPurchase([offer('capped', flat(9000), 5000, { maxOrderQuantity: 200 }), offer('other', flat(9500), 5000)], 500);
    expect(plan.lines.map((l) => [l.offerId, l.quantity])).toEqual([
      ['capped', 200],
      ['other', 300],
    ]);
  });

  it('breaks a price tie by the larger amount supplied, then by offerId, whatever the input order', () => {
    const small = offer('a-small', flat(9000), 100);
    const large = offer('z-large', flat(9000), 500);
    expect(planPurchase([small, large], 300).lines.map((l) => l.offerId)).toEqual(['z-large']);
    expect(planPurchase([large, small], 300).lines.map((l) => l.offerId)).toEqual(['z-large']);

    const b = offer('offer-b', flat(9000), 1000);
    const a = offer('offer-a', flat(9000), 1000);
    expect(planPurchase([b, a], 300).lines).toEqual([{ offerId: 'offer-a', quantity: 300, unitPrice: 9000, total: 2_700_000 }]);
    expect(planPurchase([a, b], 300)).toEqual(planPurchase([b, a], 300));
  });

  it('returns lines cheapest first', () => {
    const plan = planPurchase([offer('c', flat(9700), 100), offer('a', flat(9100), 100), offer('b', flat(9400), 100)], 300);
    expect(plan.lines.map((l) => l.unitPrice)).toEqual([9100, 9400, 9700]);
  });

  it('refuses a plan whose total cannot be represented exactly, for one line or for the sum', () => {
    expect(() => planPurchase([offer('a', flat(1_000_000_000), 10_000_000)], 10_000_000)).toThrow(
      expect.objectContaining({ code: 'amount_too_large' }),
    );
    // Each line is 5e15 fen (safe); together 1e16 is not.
    const half = 5_000_000;
    expect(() => planPurchase([offer('a', flat(1_000_000_000), half), offer('b', flat(1_000_000_000), half)], 2 * half)).toThrow(
      expect.objectContaining({ code: 'amount_too_large' }),
    );
  });

  it.each([0, -5, 2.5, NaN])('refuses to plan %p codes', (requested) => {
    expect(() => planPurchase([offer('a', flat(9000), 100)], requested)).toThrow(PricingError);
    expect(() => planPurchase([offer('a', flat(9000), 100)], requested)).toThrow(expect.objectContaining({ code: 'invalid_quantity' }));
  });
});

describe('rankOffersForQuantity', () => {
  const flatOffer = offer('flat', flat(9500), 10_000);
  const bulkOffer = offer('bulk', [
    { minQuantity: 1, unitPrice: 9800 },
    { minQuantity: 1000, unitPrice: 9300 },
  ], 10_000);

  it('ranks by the price at the quantity asked, so a bulk ladder wins big orders', () => {
    expect(rankOffersForQuantity([bulkOffer, flatOffer], 1).map((r) => [r.candidate.offerId, r.priced.unitPrice])).toEqual([
      ['flat', 9500],
      ['bulk', 9800],
    ]);
    expect(rankOffersForQuantity([flatOffer, bulkOffer], 1000).map((r) => [r.candidate.offerId, r.priced.unitPrice])).toEqual([
      ['bulk', 9300],
      ['flat', 9500],
    ]);
  });

  it('gives the exact total for the whole quantity', () => {
    expect(rankOffersForQuantity([bulkOffer], 1000)[0].priced).toEqual({ quantity: 1000, unitPrice: 9300, total: 9_300_000 });
  });

  it('leaves out offers that cannot serve the quantity alone', () => {
    const ranked = rankOffersForQuantity(
      [
        offer('short', flat(8000), 999),
        offer('min-too-high', flat(8100), 10_000, { minOrderQuantity: 2000 }),
        offer('max-too-low', flat(8200), 10_000, { maxOrderQuantity: 500 }),
        offer('unpriced', [{ minQuantity: 5000, unitPrice: 8300 }], 10_000),
        offer('ok', flat(9000), 1000),
      ],
      1000,
    );
    expect(ranked.map((r) => r.candidate.offerId)).toEqual(['ok']);
  });

  it('breaks price ties by offerId and keeps the caller’s own candidate objects', () => {
    type Listed = SplitCandidate & { supplierName: string };
    const b: Listed = { ...offer('b', flat(9000), 100), supplierName: 'Second Supplier' };
    const a: Listed = { ...offer('a', flat(9000), 100), supplierName: 'First Supplier' };
    const ranked = rankOffersForQuantity([b, a], 10);
    expect(ranked.map((r) => r.candidate.supplierName)).toEqual(['First Supplier', 'Second Supplier']);
    expect(ranked[0].candidate).toBe(a);
  });

  it('refuses an invalid quantity', () => {
    expect(() => rankOffersForQuantity([flatOffer], 0)).toThrow(expect.objectContaining({ code: 'invalid_quantity' }));
  });
});
