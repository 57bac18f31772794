import { createHash, createHmac } from 'node:crypto';

/**
 * JSON with object keys sorted (UTF-16 code unit order) at every depth and no whitespace: the
 * JSON Canonicalization Scheme (RFC 8785) for values that come from `JSON.parse`. Two bodies
 * that differ only in key order or formatting (`1.0` vs `1`, spaces) give the same text; array
 * order still matters. Like JSON.stringify, `undefined` and functions are left out of objects
 * and become `null` in arrays, and `toJSON()` (dates) is honoured.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') {
    const withToJson = value as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === 'function') return canonicalJson(withToJson.toJSON());
    if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined && typeof record[key] !== 'function' && typeof record[key] !== 'symbol')
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  if (typeof value === 'bigint') throw new TypeError('canonicalJson cannot represent a bigint');
  // Strings, finite numbers and booleans as JSON.stringify writes them; NaN/Infinity become null.
  return JSON.stringify(value) ?? 'null';
}

export interface FingerprintInput {
  method: string;
  /** The route template, e.g. `/api/v1/orders/:id/cancel`. */
  route: string;
  /** The route parameters, so one key on two different `:id`s counts as two different requests. */
  params?: Record<string, unknown>;
  query?: unknown;
  body?: unknown;
}

/**
 * What makes two requests "the same request" for one Idempotency-Key: SHA-256 over the
 * canonical JSON of method, path (route template and parameters), query and body, as lowercase
 * hex. With a `key` it is HMAC-SHA256 instead — services pass a key derived from a secret, so
 * the stored fingerprint of a body that carries a password (registering an organisation's first
 * admin) cannot be used to guess that password offline.
 */
export function requestFingerprint(input: FingerprintInput, key?: string | Buffer): string {
  const material = canonicalJson({
    method: input.method.toUpperCase(),
    route: input.route,
    params: input.params ?? {},
    query: input.query ?? {},
    body: input.body ?? null,
  });
  return (key === undefined ? createHash('sha256') : createHmac('sha256', key)).update(material, 'utf8').digest('hex');
}

/** The fingerprint HMAC key, derived from the service's own IDEMPOTENCY_FINGERPRINT_KEY (never another secret). */
export function fingerprintKeyFrom(secret: string): Buffer {
  return createHmac('sha256', secret).update('kami/idempotency-fingerprint/v1').digest();
}
