/** What a deposit status does to a supplier's offers, given the newest one the catalog holds. */
export type DepositEffect = 'stale' | 'pause' | 'resume';

/**
 * An older (or the same) status than the one held changes nothing; otherwise a deposit that no
 * longer covers the minimum pauses the supplier's active offers and one that covers it resumes
 * those it had paused. Both are no-ops when there is nothing to pause or resume, so every newer
 * status is applied whether or not `covered` flipped.
 */
export function depositEffect(held: { sequence: number } | undefined, incoming: { covered: boolean; sequence: number }): DepositEffect {
  if (held && held.sequence >= incoming.sequence) return 'stale';
  return incoming.covered ? 'resume' : 'pause';
}
