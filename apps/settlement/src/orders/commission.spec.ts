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

  it("splits lines by supplier, each line at its own rate, and loses no fen", () => {
    const line = (supplierId: string, amount: number, rateBps: number): { supplierId: string; amount: number; commission: number } => ({
      supplierId,
      amount,
      commission: commissionOf(amount, rateBps),
    });
    const lines = [line('b', 4_650, 300), line('a', 9_300, 500), line('b', 66_150, 250)];
    const splits = splitBySupplier(lines);
    expect(splits).toEqual([
      { supplierId: 'a', gross: 9_300, commission: 465, payable: 8_835 },
      { supplierId: 'b', gross: 70_800, commission: 139 + 1_653, payable: 70_800 - 1_792 },
    ]);
    expect(splits.reduce((n, s) => n + s.commission + s.payable, 0)).toBe(9_300 + 70_800);
    expect(() => splitBySupplier([{ supplierId: 'a', amount: 10, commission: 11 }])).toThrow(RangeError);
  });
});
