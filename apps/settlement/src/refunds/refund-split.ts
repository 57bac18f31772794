/** Where a refund after the release takes its money from, in fen; the parts add up to the refund. */
export interface ReleasedRefundSplit {
  amount: number;
  /** Back from platform commission revenue: this refund's share of what the line's release took. */
  commissionReversed: number;
  /** Charged to the supplier: first its payable, then its deposit for what the payable cannot cover. */
  fromPayable: number;
  fromDeposit: number;
}

export interface ReleasedLine {
  unitPrice: number;
  /** Codes the release paid for (the line's quantity less codes refunded before it). */
  releasedQuantity: number;
  /** The commission the release took on those codes. */
  commission: number;
  /** Codes of those already refunded after the release. */
  refundedAfterRelease: number;
}

export type ReleasedRefundOutcome = { covered: true; split: ReleasedRefundSplit } | { covered: false; supplierShare: number; available: number };

const assertFen = (name: string, value: number): void => {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} ${value} is not a non-negative integer`);
};

/**
 * The commission that comes back when `quantity` more of a line's released codes are refunded.
 * Cumulative, in bigint: after k of n codes are refunded, floor(commission × k / n) has come back
 * in all, so partial refunds never give back a fen more (or less, once all n are refunded) than
 * the release took, whatever their sizes and order.
 */
export function commissionReversal(line: ReleasedLine, quantity: number): number {
  assertFen('commission', line.commission);
  const { releasedQuantity: n, refundedAfterRelease: before } = line;
  if (!Number.isSafeInteger(quantity) || quantity < 1 || before < 0 || before + quantity > n) throw new RangeError(`cannot refund ${quantity} more of ${n} released codes, ${before} already refunded`);
  const share = (k: number): bigint => (BigInt(line.commission) * BigInt(k)) / BigInt(n);
  return Number(share(before + quantity) - share(before));
}

/**
 * A refund of `quantity` released codes at the line's unit price: the commission's share comes
 * back from platform revenue, the rest is charged to the supplier's payable and then its deposit.
 * Not covered (nothing should move) when payable and deposit together fall short.
 */
export function splitReleasedRefund(line: ReleasedLine, quantity: number, balances: { payable: number; deposit: number }): ReleasedRefundOutcome {
  assertFen('unit price', line.unitPrice);
  assertFen('payable', balances.payable);
  assertFen('deposit', balances.deposit);
  const amount = Number(BigInt(line.unitPrice) * BigInt(quantity));
  assertFen('amount', amount);
  const commissionReversed = commissionReversal(line, quantity);
  const supplierShare = amount - commissionReversed;
  if (balances.payable + balances.deposit < supplierShare) return { covered: false, supplierShare, available: balances.payable + balances.deposit };
  const fromPayable = Math.min(balances.payable, supplierShare);
  return { covered: true, split: { amount, commissionReversed, fromPayable, fromDeposit: supplierShare - fromPayable } };
}
