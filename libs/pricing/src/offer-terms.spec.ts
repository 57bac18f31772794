import { checkOfferTerms, MAX_TIERS, MAX_UNIT_PRICE } from './offer-terms';
import type { OfferTerms, PriceTier } from './tier-pricing';

const terms = (priceTiers: PriceTier[], overrides: Partial<OfferTerms> = {}): OfferTerms => ({
  priceTiers,
  minOrderQuantity: 1,
  maxOrderQuantity: null,
  ...overrides,
});
const good = [
  { minQuantity: 1, unitPrice: 9600 },
  { minQuantity: 100, unitPrice: 9500 },
  { minQuantity: 1000, unitPrice: 9450 },
];
const fields = (problems: { field: string }[]): string[] => problems.map((p) => p.field);

describe('checkOfferTerms', () => {
  it('accepts a sensible ladder', () => {
    expect(checkOfferTerms(terms(good), {})).toEqual([]);
    expect(checkOfferTerms(terms(good, { minOrderQuantity: 10, maxOrderQuantity: 5000 }), { faceValue: 10_000 })).toEqual([]);
  });

  it('accepts a single flat price and a max equal to the min', () => {
    expect(checkOfferTerms(terms([{ minQuantity: 1, unitPrice: 100 }], { minOrderQuantity: 5, maxOrderQuantity: 5 }), {})).toEqual([]);
  });

  it('needs at least one tier', () => {
    expect(checkOfferTerms(terms([]), {})).toEqual([{ field: 'priceTiers', message: expect.stringContaining('at least one') }]);
  });

  it(`allows at most ${MAX_TIERS} tiers`, () => {
    const ladder = (n: number) => Array.from({ length: n }, (_, i) => ({ minQuantity: i + 1, unitPrice: 10_000 - i }));
    expect(checkOfferTerms(terms(ladder(MAX_TIERS)), {})).toEqual([]);
    expect(checkOfferTerms(terms(ladder(MAX_TIERS + 1)), {})).toEqual([
      { field: 'priceTiers', message: expect.stringContaining(`at most ${MAX_TIERS}`) },
    ]);
  });

  it('names a tier whose quantity does not rise above the previous one', () => {
    const problems = checkOfferTerms(
      terms([
        { minQuantity: 1, unitPrice: 9600 },
        { minQuantity: 1000, unitPrice: 9500 },
        { minQuantity: 100, unitPrice: 9450 },
      ]),
      {},
    );
    expect(problems).toEqual([{ field: 'priceTiers.2.minQuantity', message: expect.stringContaining("greater than the previous tier's") }]);
  });

  it('names a duplicate quantity', () => {
    const problems = checkOfferTerms(
      terms([
        { minQuantity: 1, unitPrice: 9600 },
        { minQuantity: 100, unitPrice: 9500 },
        { minQuantity: 100, unitPrice: 9400 },
      ]),
      {},
    );
    expect(fields(problems)).toEqual(['priceTiers.2.minQuantity']);
  });

  it.each([
    ['fractional', 95.5],
    ['negative', -9500],
    ['zero', 0],
    ['NaN', NaN],
  ])('names a %s price', (_kind, unitPrice) => {
    const problems = checkOfferTerms(terms([{ minQuantity: 1, unitPrice: 9600 }, { minQuantity: 100, unitPrice }]), {});
    expect(problems).toEqual([{ field: 'priceTiers.1.unitPrice', message: expect.stringContaining('positive whole number of fen') }]);
  });

  it('names a price above the ceiling', () => {
    const problems = checkOfferTerms(terms([{ minQuantity: 1, unitPrice: MAX_UNIT_PRICE + 1 }]), {});
    expect(problems).toEqual([{ field: 'priceTiers.0.unitPrice', message: expect.stringContaining(String(MAX_UNIT_PRICE)) }]);
    expect(checkOfferTerms(terms([{ minQuantity: 1, unitPrice: MAX_UNIT_PRICE }]), {})).toEqual([]);
  });

  it.each([0, -1, 1.5])('names a tier quantity of %p', (minQuantity) => {
    const problems = checkOfferTerms(terms([{ minQuantity, unitPrice: 100 }]), {});
    expect(fields(problems)).toEqual(['priceTiers.0.minQuantity']);
  });

  it('names a price that rises with quantity', () => {
    const problems = checkOfferTerms(
      terms([
        { minQuantity: 1, unitPrice: 9600 },
        { minQuantity: 100, unitPrice: 9700 },
      ]),
      {},
    );
    expect(problems).toEqual([{ field: 'priceTiers.1.unitPrice', message: expect.stringContaining("previous tier's unitPrice (9600)") }]);
  });

  it('refuses a price above face value unless the supplier opted in', () => {
    const ladder = terms([
      { minQuantity: 1, unitPrice: 10_500 },
      { minQuantity: 100, unitPrice: 9900 },
    ]);
    const problems = checkOfferTerms(ladder, { faceValue: 10_000 });
    expect(problems).toEqual([{ field: 'priceTiers.0.unitPrice', message: expect.stringContaining('allowAboveFaceValue') }]);
    expect(checkOfferTerms(ladder, { faceValue: 10_000, allowAboveFaceValue: false })).toHaveLength(1);
    expect(checkOfferTerms(ladder, { faceValue: 10_000, allowAboveFaceValue: true })).toEqual([]);
    expect(checkOfferTerms(ladder, {})).toEqual([]);
  });

  it('accepts a price exactly at face value', () => {
    expect(checkOfferTerms(terms([{ minQuantity: 1, unitPrice: 10_000 }]), { faceValue: 10_000 })).toEqual([]);
  });

  it('names a first tier that starts above the minimum order, leaving orders unpriced', () => {
    const problems = checkOfferTerms(terms([{ minQuantity: 100, unitPrice: 9500 }], { minOrderQuantity: 10 }), {});
    expect(problems).toEqual([{ field: 'priceTiers.0.minQuantity', message: expect.stringContaining('minOrderQuantity (10)') }]);
    expect(checkOfferTerms(terms([{ minQuantity: 100, unitPrice: 9500 }], { minOrderQuantity: 100 }), {})).toEqual([]);
  });

  it('names a maximum order below the minimum', () => {
    const problems = checkOfferTerms(terms(good, { minOrderQuantity: 100, maxOrderQuantity: 50 }), {});
    expect(problems).toEqual([{ field: 'maxOrderQuantity', message: expect.stringContaining('at least minOrderQuantity (100)') }]);
  });

  it('names a minimum order below one and a nonsense maximum', () => {
    expect(fields(checkOfferTerms(terms(good, { minOrderQuantity: 0 }), {}))).toEqual(['minOrderQuantity']);
    expect(fields(checkOfferTerms(terms(good, { maxOrderQuantity: 0 }), {}))).toEqual(['maxOrderQuantity']);
    expect(fields(checkOfferTerms(terms(good, { maxOrderQuantity: 2.5 }), {}))).toEqual(['maxOrderQuantity']);
  });

  it('reports every problem at once', () => {
    const problems = checkOfferTerms(
      terms(
        [
          { minQuantity: 10, unitPrice: 12_000 },
          { minQuantity: 10, unitPrice: 0 },
          { minQuantity: 100, unitPrice: 13_000 },
        ],
        { minOrderQuantity: 5, maxOrderQuantity: 4 },
      ),
      { faceValue: 11_000 },
    );
    expect(fields(problems).sort()).toEqual(
      [
        'priceTiers.0.unitPrice', // above face value
        'priceTiers.1.minQuantity', // duplicate
        'priceTiers.1.unitPrice', // zero
        'priceTiers.2.unitPrice', // above face value
        'priceTiers.0.minQuantity', // starts above the minimum order
        'maxOrderQuantity', // below the minimum
      ].sort(),
    );
  });

  it('names a tier that is not an object (untyped API input)', () => {
    const problems = checkOfferTerms(terms([null as unknown as PriceTier]), {});
    expect(fields(problems)).toEqual(['priceTiers.0']);
  });

  it('treats a bad face value as a programming error, not a supplier problem', () => {
    expect(() => checkOfferTerms(terms(good), { faceValue: 99.5 })).toThrow(RangeError);
  });
});
