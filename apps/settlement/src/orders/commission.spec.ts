import { commissionOf, splitBySupplier } from './commission';

describe('commission', () => {
  it('takes basis points of the gross, rounded down to the fen', () => {
    expect(commissionOf(10_000, 500)).toBe(500);
    expect(commissionOf(9_999, 500)).toBe(499);
    expect(commissionOf(1, 9_999)).toBe(0);
    expect(commissionOf(123_456_789_012, 250)).toBe(3_086_419_725);
    expect(commissionOf(5_000, 0)).toBe(0);
    expect(commissionOf(5_000, 10_000)).toBe(5_000);
    expect(() => commissionOf(5_000, 10_001)).toThrow(RangeError);
    expect(() => commissionOf(0.5, 100)).toThrow(RangeError);
  });

  it('splits lines by supplier, each at its own rate, and loses no fen', () => {
    const lines = [
      { supplierId: 'b', amount: 4_650 },
      { supplierId: 'a', amount: 9_300 },
      { supplierId: 'b', amount: 66_150 },
    ];
    const splits = splitBySupplier(lines, (s) => (s === 'a' ? 500 : 300));
    expect(splits).toEqual([
      { supplierId: 'a', gross: 9_300, commission: 465, payable: 8_835 },
      { supplierId: 'b', gross: 70_800, commission: 2_124, payable: 68_676 },
    ]);
    expect(splits.reduce((n, s) => n + s.commission + s.payable, 0)).toBe(9_300 + 70_800);
  });
});
