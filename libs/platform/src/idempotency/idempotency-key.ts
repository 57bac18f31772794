import { DomainError } from '../errors/domain-error';

/** The request header (IETF draft-ietf-httpapi-idempotency-key-header; Stripe spells it the same). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set to `true` on a response that was replayed from the stored first response. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export const IdempotencyErrorCodes = {
  InvalidKey: 'invalid_idempotency_key',
  KeyRequired: 'idempotency_key_required',
  KeyReused: 'idempotency_key_reused',
  RequestInProgress: 'idempotency_request_in_progress',
} as const;

export const invalidIdempotencyKey = (): DomainError =>
  new DomainError(
    IdempotencyErrorCodes.InvalidKey,
    400,
    `The ${IDEMPOTENCY_KEY_HEADER} header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, e.g. a UUID.`,
  );

export const idempotencyKeyRequired = (): DomainError =>
  new DomainError(
    IdempotencyErrorCodes.KeyRequired,
    400,
    `This request needs an ${IDEMPOTENCY_KEY_HEADER} header: a unique value (e.g. a UUID) you reuse only to retry the same request.`,
  );

export const idempotencyKeyReused = (): DomainError =>
  new DomainError(
    IdempotencyErrorCodes.KeyReused,
    422,
    `This ${IDEMPOTENCY_KEY_HEADER} was already used for a different request; use a new key for a new request.`,
  );

export const idempotencyRequestInProgress = (retryAfterSeconds = 1): DomainError =>
  new DomainError(
    IdempotencyErrorCodes.RequestInProgress,
    409,
    `A request with this ${IDEMPOTENCY_KEY_HEADER} is still being processed; retry it in a moment to get its response.`,
    { retryAfterSeconds },
  );

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * The key a request carries, or `undefined` when it has none. Accepts the plain form
 * (`Idempotency-Key: 8e03978e-...`, as Stripe clients send it) and the draft's Structured Field
 * string (`Idempotency-Key: "8e03978e-..."`, quotes and `\"`/`\\` escapes removed). Anything
 * else that is present — empty, blank, longer than 255 characters, non-ASCII or control
 * characters, several header lines — throws `invalid_idempotency_key` (400). The message never
 * echoes the value.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) {
    if (header.length !== 1) throw invalidIdempotencyKey();
    return parseIdempotencyKey(header[0]);
  }
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = unquoteStructuredString(key.slice(1, -1));
  if (key.trim().length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw invalidIdempotencyKey();
  }
  return key;
}

/** RFC 8941 sf-string content: only `\"` and `\\` escapes, no bare quote. */
function unquoteStructuredString(inner: string): string {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '\\') {
      const next = inner[i + 1];
      if (next !== '"' && next !== '\\') throw invalidIdempotencyKey();
      out += next;
      i++;
    } else if (ch === '"') {
      throw invalidIdempotencyKey();
    } else {
      out += ch;
    }
  }
  return out;
}
