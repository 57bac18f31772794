import { transfer, unbalancedReason } from './ledger-rules';

describe('ledger rules', () => {
  it('accepts legs that sum to zero per currency', () => {
    expect(unbalancedReason(transfer('a', 'b', 'CNY', 1500))).toBeUndefined();
    expect(
      unbalancedReason([
        { accountId: 'a', currency: 'CNY', amount: -100 },
        { accountId: 'b', currency: 'CNY', amount: 95 },
        { accountId: 'c', currency: 'CNY', amount: 5 },
        { accountId: 'd', currency: 'USD', amount: 7 },
        { accountId: 'e', currency: 'USD', amount: -7 },
      ]),
    ).toBeUndefined();
  });

  it('refuses unbalanced, single, zero, fractional and unsafe legs', () => {
    expect(unbalancedReason([{ accountId: 'a', currency: 'CNY', amount: -100 }, { accountId: 'b', currency: 'CNY', amount: 99 }])).toMatch(/CNY -1/);
    // Balanced in total but not per currency.
    expect(unbalancedReason([{ accountId: 'a', currency: 'CNY', amount: -100 }, { accountId: 'b', currency: 'USD', amount: 100 }])).toMatch(/do not sum to zero/);
    expect(unbalancedReason([{ accountId: 'a', currency: 'CNY', amount: 0 }, { accountId: 'b', currency: 'CNY', amount: 0 }])).toMatch(/non-zero/);
    expect(unbalancedReason([{ accountId: 'a', currency: 'CNY', amount: 0.5 }, { accountId: 'b', currency: 'CNY', amount: -0.5 }])).toMatch(/integer/);
    expect(unbalancedReason([{ accountId: 'a', currency: 'CNY', amount: 2 ** 53 }, { accountId: 'b', currency: 'CNY', amount: -(2 ** 53) }])).toMatch(/integer/);
    expect(unbalancedReason([{ accountId: 'a', currency: 'CNY', amount: 5 }])).toMatch(/at least two/);
    expect(unbalancedReason([{ accountId: 'a', currency: 'cny', amount: 5 }, { accountId: 'b', currency: 'cny', amount: -5 }])).toMatch(/ISO 4217/);
  });
});
