import { categoryLineage, rateFor, type CommissionRates } from './commission-rules';

describe('which commission rate applies', () => {
  const rates: CommissionRates = {
    defaultBps: 500,
    suppliers: new Map([['supplier-a', 200]]),
    categories: new Map([
      ['game-cards', 300],
      ['game-cards.mobile.tencent', 150],
    ]),
  };

  it("lists a category and its ancestors, most specific first", () => {
    expect(categoryLineage('game-cards.mobile.tencent')).toEqual(['game-cards.mobile.tencent', 'game-cards.mobile', 'game-cards']);
    expect(categoryLineage('software')).toEqual(['software']);
  });

  it("takes the supplier's rate over its category's, the nearest category's over the default", () => {
    expect(rateFor(rates, { supplierId: 'supplier-a', categoryCode: 'game-cards.mobile.tencent' })).toEqual({ rateBps: 200, source: 'supplier' });
    expect(rateFor(rates, { supplierId: 'supplier-b', categoryCode: 'game-cards.mobile.tencent' })).toEqual({ rateBps: 150, source: 'category' });
    expect(rateFor(rates, { supplierId: 'supplier-b', categoryCode: 'game-cards.mobile.netease' })).toEqual({ rateBps: 300, source: 'category' });
    expect(rateFor(rates, { supplierId: 'supplier-b', categoryCode: 'game-cards-extra' })).toEqual({ rateBps: 500, source: 'default' });
    expect(rateFor(rates, { supplierId: 'supplier-b', categoryCode: null })).toEqual({ rateBps: 500, source: 'default' });
    expect(rateFor(rates, { supplierId: 'supplier-b' })).toEqual({ rateBps: 500, source: 'default' });
  });

  it('keeps an explicit 0% rate rather than falling through', () => {
    expect(rateFor({ ...rates, suppliers: new Map([['supplier-z', 0]]) }, { supplierId: 'supplier-z', categoryCode: 'game-cards' })).toEqual({ rateBps: 0, source: 'supplier' });
  });
});
