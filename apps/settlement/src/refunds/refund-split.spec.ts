import { commissionOf } from '../orders/commission';
import { commissionReversal, splitReleasedRefund, type ReleasedLine } from './refund-split';

const released = (unitPrice: number, releasedQuantity: number, rateBps: number, refundedAfterRelease = 0): ReleasedLine => ({
  unitPrice,
  releasedQuantity,
  commission: commissionOf(unitPrice * releasedQuantity, rateBps),
  refundedAfterRelease,
});

describe('refunds after the release', () => {
  it('gives back exactly the commission the release took once every code is refunded, whatever the partial refunds', () => {
    // 7 codes at ¥9.99, 3.33%: 232 fen commission, not divisible by 7.
    const line = released(999, 7, 333);
    expect(line.commission).toBe(232);
    for (const parts of [[7], [1, 1, 1, 1, 1, 1, 1], [3, 4], [2, 2, 3], [6, 1]]) {
      let before = 0;
      let back = 0;
      for (const quantity of parts) {
        const reversal = commissionReversal({ ...line, refundedAfterRelease: before }, quantity);
        expect(Number.isInteger(reversal)).toBe(true);
        // Never more than this refund's proportional share rounded up.
        expect(reversal).toBeLessThanOrEqual(Math.ceil((line.commission * quantity) / 7));
        back += reversal;
        before += quantity;
      }
      expect(back).toBe(line.commission);
    }
  });

  it('charges the supplier the rest: payable first, then the deposit, and the parts add up to the refund', () => {
    const line = released(1_000, 5, 500); // commission 250
    expect(splitReleasedRefund(line, 2, { payable: 10_000, deposit: 0 })).toEqual({
      covered: true,
      split: { amount: 2_000, commissionReversed: 100, fromPayable: 1_900, fromDeposit: 0 },
    });
    expect(splitReleasedRefund(line, 2, { payable: 400, deposit: 5_000 })).toEqual({
      covered: true,
      split: { amount: 2_000, commissionReversed: 100, fromPayable: 400, fromDeposit: 1_500 },
    });
    expect(splitReleasedRefund(line, 2, { payable: 0, deposit: 1_900 })).toEqual({
      covered: true,
      split: { amount: 2_000, commissionReversed: 100, fromPayable: 0, fromDeposit: 1_900 },
    });
  });

  it('is not covered when payable and deposit together fall short', () => {
    expect(splitReleasedRefund(released(1_000, 5, 500), 2, { payable: 1_000, deposit: 899 })).toEqual({ covered: false, supplierShare: 1_900, available: 1_899 });
  });

  it('handles free codes, a 100% commission and amounts beyond 2^53 / 10,000 without floats', () => {
    expect(splitReleasedRefund(released(0, 3, 500), 3, { payable: 0, deposit: 0 })).toEqual({
      covered: true,
      split: { amount: 0, commissionReversed: 0, fromPayable: 0, fromDeposit: 0 },
    });
    expect(splitReleasedRefund(released(1_000, 3, 10_000), 1, { payable: 0, deposit: 0 })).toEqual({
      covered: true,
      split: { amount: 1_000, commissionReversed: 1_000, fromPayable: 0, fromDeposit: 0 },
    });
    const big = released(90_000_000_000, 50_000, 777);
    const split = splitReleasedRefund(big, 49_999, { payable: Number.MAX_SAFE_INTEGER, deposit: 0 });
    expect(split.covered && split.split.amount).toBe(90_000_000_000 * 49_999);
    expect(split.covered && split.split.commissionReversed + split.split.fromPayable).toBe(90_000_000_000 * 49_999);
  });

  it('refuses to reverse more codes than were released', () => {
    expect(() => commissionReversal(released(100, 3, 500, 2), 2)).toThrow(RangeError);
    expect(() => commissionReversal(released(100, 3, 500), 0)).toThrow(RangeError);
    expect(() => commissionReversal(released(100, 3, 500), 1.5)).toThrow(RangeError);
  });
});
