/**
 * Key names of one offer. Every key carries the `{offerId}` hash tag, so all of an offer's keys sit
 * in one Redis Cluster slot and every script may touch them together.
 */
export interface OfferKeys {
  /** LIST of available code ids, handed out from the head. */
  available: string;
  /** Marker: the offer is loaded (value: the token of the rebuild that loaded it). */
  ready: string;
  /** ZSET of held reservation ids scored by expiry ms. */
  expiry: string;
  /** Rebuild lock (value: the rebuild's random token). */
  lock: string;
  /** LIST of ids released or added while a rebuild runs; appended to the rebuilt list. */
  during: string;
  /** Scratch LIST used by removeAvailable's filtering pass. */
  scratch: string;
  /** Prefix of the reservation HASH keys (state `s`, comma-joined codes `c`, expiry ms `e`, quantity `q`). */
  reservationPrefix: string;
  reservation(reservationId: string): string;
  /** The rebuild's temporary list. */
  temp(token: string): string;
}

export function offerKeys(offerId: string): OfferKeys {
  const base = `o:{${offerId}}:`;
  const reservationPrefix = `${base}r:`;
  return {
    available: `${base}avail`,
    ready: `${base}ready`,
    expiry: `${base}exp`,
    lock: `${base}lock`,
    during: `${base}during`,
    scratch: `${base}scratch`,
    reservationPrefix,
    reservation: (reservationId) => reservationPrefix + reservationId,
    temp: (token) => `${base}tmp:${token}`,
  };
}
