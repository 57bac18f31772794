/** Misuse of the reservation core (bad arguments): a programming error, never a business outcome. */
export class ReservationCoreError extends Error {
  override readonly name = 'ReservationCoreError';
}

export const MAX_QUANTITY = 50_000;

// No braces (they would break the `{offerId}` hash tag), no commas, no whitespace.
const ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const CODE_ID = /^[0-9]{1,20}$/;

export function assertId(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new ReservationCoreError(`${what} must be 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(value)}`);
  }
}

export function assertQuantity(quantity: unknown): asserts quantity is number {
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    throw new ReservationCoreError(`quantity must be an integer from 1 to ${MAX_QUANTITY}, got ${String(quantity)}`);
  }
}

export function assertPositiveMs(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ReservationCoreError(`${what} must be a positive number of milliseconds, got ${String(value)}`);
  }
}

export function assertTimestamp(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ReservationCoreError(`${what} must be a non-negative epoch ms, got ${String(value)}`);
  }
}

export function assertPositiveInt(what: string, value: unknown, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new ReservationCoreError(`${what} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
}

export function assertCodeIds(what: string, ids: unknown): asserts ids is string[] {
  if (!Array.isArray(ids)) throw new ReservationCoreError(`${what} must be an array of code ids`);
  for (const id of ids) {
    if (typeof id !== 'string' || !CODE_ID.test(id)) {
      throw new ReservationCoreError(`${what}: code ids are decimal strings, got ${JSON.stringify(id)}`);
    }
  }
}

/** The reservation hash keeps codes as one comma-joined string. */
export function splitCodes(joined: string | null | undefined): string[] {
  return joined ? joined.split(',') : [];
}
