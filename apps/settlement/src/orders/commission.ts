/** A supplier's share of released escrow: its lines' total, less the platform commission. */
export interface SupplierSplit {
  supplierId: string;
  gross: number;
  commission: number;
  payable: number;
}

/**
 * Commission on `gross` fen at `rateBps` basis points, rounded down to the fen (the supplier is
 * never charged a fraction the platform did not earn), computed in bigint so no float is involved.
 */
export function commissionOf(gross: number, rateBps: number): number {
  if (!Number.isSafeInteger(gross) || gross < 0) throw new RangeError(`gross ${gross} is not a non-negative integer`);
  if (!Number.isInteger(rateBps) || rateBps < 0 || rateBps > 10_000) throw new RangeError(`rate ${rateBps} is not 0..10000 basis points`);
  return Number((BigInt(gross) * BigInt(rateBps)) / 10_000n);
}

/** Groups released lines by supplier and splits each supplier's total into payable and commission. */
export function splitBySupplier(lines: readonly { supplierId: string; amount: number }[], rateOf: (supplierId: string) => number): SupplierSplit[] {
  const gross = new Map<string, number>();
  for (const line of lines) gross.set(line.supplierId, (gross.get(line.supplierId) ?? 0) + line.amount);
  return [...gross].sort(([a], [b]) => a.localeCompare(b)).map(([supplierId, total]) => {
    const commission = commissionOf(total, rateOf(supplierId));
    return { supplierId, gross: total, commission, payable: total - commission };
  });
}
