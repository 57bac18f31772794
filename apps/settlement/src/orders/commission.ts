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

/**
 * Groups released lines by supplier. Commission is taken per line, at the line's own rate (the
 * supplier's, its category's or the default), so a refund after the release can give back exactly
 * what its line paid; each supplier's payable is its gross less the sum of its lines' commission.
 */
export function splitBySupplier(lines: readonly { supplierId: string; amount: number; commission: number }[]): SupplierSplit[] {
  const totals = new Map<string, { gross: number; commission: number }>();
  for (const line of lines) {
    if (line.commission < 0 || line.commission > line.amount) throw new RangeError(`commission ${line.commission} is outside 0..${line.amount}`);
    const total = totals.get(line.supplierId) ?? { gross: 0, commission: 0 };
    totals.set(line.supplierId, { gross: total.gross + line.amount, commission: total.commission + line.commission });
  }
  return [...totals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([supplierId, { gross, commission }]) => ({ supplierId, gross, commission, payable: gross - commission }));
}
