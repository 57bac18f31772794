/**
 * After auto-restock requests that came to nothing (refused by ordering, or an order that was
 * cancelled: an empty wallet, a price limit below every offer), the next request waits, doubling
 * with each such request in a row: a storefront pulling a low stock all day must not leave the
 * merchant a refused or cancelled order per pull. A delivered restock, or a change of the rule
 * (the merchant fixed something), starts the count again.
 */
export function restockRetryDelaySeconds(failuresInARow: number, baseSeconds: number, maxSeconds: number): number {
  if (failuresInARow <= 0) return 0;
  // 2^30 is far past any cap; a bounded exponent keeps the number finite.
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.min(failuresInARow - 1, 30));
}

/** When the next request may be made: null when it may be made now. */
export function restockRetryAt(failuresInARow: number, lastFailedAt: Date | null, baseSeconds: number, maxSeconds: number, now: Date): Date | null {
  if (lastFailedAt === null) return null;
  const at = new Date(lastFailedAt.getTime() + restockRetryDelaySeconds(failuresInARow, baseSeconds, maxSeconds) * 1000);
  return at > now ? at : null;
}
