/** The kinds of ledger account; the last two belong to the platform, the others to an organisation. */
export const ACCOUNT_KINDS = [
  'merchant_wallet',
  'order_escrow',
  'supplier_payable',
  'supplier_deposit',
  'platform_commission_revenue',
  'provider_clearing',
] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

export const PLATFORM_OWNER = 'platform';
export const PLATFORM_KINDS: readonly AccountKind[] = ['platform_commission_revenue', 'provider_clearing'];

export const TRANSACTION_KINDS = ['topup', 'order_capture', 'order_refund', 'escrow_release', 'deposit_topup', 'adjustment', 'refund_from_escrow', 'refund_after_release'] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

export interface Leg {
  accountId: string;
  currency: string;
  /** Signed minor units (fen): positive adds to the account, negative takes from it. */
  amount: number;
}

/**
 * Why a set of legs is not a postable transaction, or undefined when it is: at least two legs,
 * every amount a non-zero safe integer, and the legs of each currency summing to zero.
 * PostgreSQL checks the same at commit; this names the problem before anything is written.
 */
export function unbalancedReason(legs: readonly Leg[]): string | undefined {
  if (legs.length < 2) return `a transaction needs at least two entries, got ${legs.length}`;
  const sums = new Map<string, bigint>();
  for (const leg of legs) {
    if (!Number.isSafeInteger(leg.amount) || leg.amount === 0) return `amount ${leg.amount} is not a non-zero integer of minor units`;
    if (!/^[A-Z]{3}$/.test(leg.currency)) return `currency ${leg.currency} is not an ISO 4217 code`;
    sums.set(leg.currency, (sums.get(leg.currency) ?? 0n) + BigInt(leg.amount));
  }
  const off = [...sums].filter(([, sum]) => sum !== 0n);
  return off.length > 0 ? `entries do not sum to zero: ${off.map(([c, s]) => `${c} ${s}`).join(', ')}` : undefined;
}

/** The two legs of a plain movement of `amount` from one account to another of the same currency. */
export function transfer(from: string, to: string, currency: string, amount: number): Leg[] {
  return [
    { accountId: from, currency, amount: -amount },
    { accountId: to, currency, amount },
  ];
}
