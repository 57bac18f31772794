/**
 * The reservation core's vocabulary. Code ids are the vault's numeric ids as decimal strings;
 * a reservation id is a uuid chosen by the caller (the order line's id), which is what makes
 * every call idempotent.
 */

export type ReservationState = 'held' | 'committed' | 'released' | 'expired';

export type ReserveResult =
  /** Holds `codeIds` (exactly the quantity asked). `replayed` when this id had reserved them already. */
  | { status: 'reserved'; codeIds: string[]; expiresAtMs: number; replayed: boolean }
  /** Nothing taken: fewer than the quantity are available. */
  | { status: 'insufficient'; available: number }
  /** The offer's state is not in Redis (never loaded, flushed, or being rebuilt): rebuild, then retry. */
  | { status: 'not_loaded' }
  /** This reservation id exists and has already ended; nothing taken. */
  | { status: 'ended'; state: Exclude<ReservationState, 'held'> };

export type CommitResult =
  | { status: 'committed'; replayed: boolean }
  /** The reservation had been released or expired: nothing committed. */
  | { status: 'ended'; state: 'released' | 'expired' }
  /** Redis does not know the reservation (flushed, or it never reached Redis). */
  | { status: 'unknown' };

export type ReleaseResult =
  /** Its codes are available again (or were already, when `replayed`). */
  | { status: 'released'; codeIds: string[]; replayed: boolean }
  /** The reservation was committed: nothing released. */
  | { status: 'committed' }
  | { status: 'unknown' };

/** One reservation still held in PostgreSQL, as `rebuild` restores it. */
export interface HeldReservation {
  reservationId: string;
  codeIds: string[];
  expiresAtMs: number;
}

/** An offer's state in PostgreSQL, read by `rebuild` after Redis has been told the offer is being rebuilt. */
export interface OfferSnapshot {
  /** Available code ids, in the order they should be handed out (soonest expiry first). */
  available: string[];
  held: HeldReservation[];
}

/** What Redis holds about one reservation (`ReservationCore.reservation`). */
export interface ReservationView {
  state: ReservationState;
  /** Its codes while held or committed; [] once released or expired (the list is dropped then). */
  codeIds: string[];
  expiresAtMs: number;
}

export interface RebuildOptions {
  /** Rebuild even when the offer is loaded (operators reconciling with PostgreSQL). Default false. */
  force?: boolean;
}
