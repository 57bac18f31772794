import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/*
 * Signed request tokens: what the gateway's identity header and the service-to-service token are
 * made of. Ed25519 signatures (node:crypto), so whoever verifies one cannot make one: only the
 * gateway holds the key identities are signed with, and only delivery the key its calls to the
 * vault are signed with.
 *
 *   token  = base64url(JSON claims) "." base64url(Ed25519 signature of "kami.<typ>.v2:" + first part)
 *   claims = { typ, iss, aud, htm, htu, bd, iat, exp, jti, ...kind-specific }
 *
 * A token is bound to one request (htm: method, htu: path with query, bd: SHA-256 of the body, or
 * UNSIGNED-PAYLOAD for a streamed body the signer never held), to one audience, lives seconds, and
 * carries a random jti that the receiver accepts once (ReplayGuard).
 */

export type RequestTokenType = 'identity' | 'service';

/** What a token is bound to: the request as its receiver sees it. */
export interface RequestBinding {
  method: string;
  /** Path and query exactly as sent (`req.originalUrl`). */
  path: string;
  /** bodyDigest() of the body bytes, or UNSIGNED_PAYLOAD. */
  bodyDigest: string;
}

export interface RequestTokenClaims {
  typ: RequestTokenType;
  iss: string;
  aud: string;
  htm: string;
  htu: string;
  bd: string;
  iat: number;
  exp: number;
  jti: string;
}

/** A token may not live longer than this, whatever its signer asked for. */
export const MAX_REQUEST_TOKEN_TTL_SECONDS = 30;
/** How far clocks of two hosts may disagree. */
export const CLOCK_SKEW_SECONDS = 5;
/** The body digest of a body streamed through without being read (a CSV upload through the gateway). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const MAX_TOKEN_LENGTH = 4096;
const JTI_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export const bodyDigest = (body: Buffer | string): string => createHash('sha256').update(body).digest('base64url');
export const EMPTY_BODY_DIGEST = bodyDigest('');

/** An Ed25519 private key from base64url PKCS8 DER (what the dev tooling writes) or PEM. */
export function parsePrivateKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN')
    ? createPrivateKey(text)
    : createPrivateKey({ key: Buffer.from(text.trim(), 'base64url'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return key;
}

/** An Ed25519 public key from base64url SPKI DER (what the dev tooling writes) or PEM. */
export function parsePublicKey(text: string): KeyObject {
  const key = text.includes('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.trim(), 'base64url'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}

export function isPrivateKey(text: string): boolean {
  try {
    parsePrivateKey(text);
    return true;
  } catch {
    return false;
  }
}

export function isPublicKey(text: string): boolean {
  try {
    parsePublicKey(text);
    return true;
  } catch {
    return false;
  }
}

/** `name:publicKey` pairs, comma separated (TRUSTED_SERVICE_KEYS), as a map; throws on a bad entry. */
export function parseTrustedKeys(text: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, colon);
    if (colon < 1 || !/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new Error('entries are service:publicKey');
    if (keys.has(name)) throw new Error(`${name} is listed twice`);
    keys.set(name, parsePublicKey(entry.slice(colon + 1)));
  }
  return keys;
}

const signingInput = (typ: RequestTokenType, body: string): Buffer => Buffer.from(`kami.${typ}.v2:${body}`);

export interface SignOptions {
  ttlSeconds?: number;
  now?: number;
}

/** Signs a token of `typ` from `issuer` to `audience` for exactly this request. */
export function signRequestToken(
  typ: RequestTokenType,
  issuer: string,
  audience: string,
  request: RequestBinding,
  privateKey: KeyObject,
  extra: Record<string, unknown> = {},
  { ttlSeconds = MAX_REQUEST_TOKEN_TTL_SECONDS, now = Date.now() }: SignOptions = {},
): string {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_REQUEST_TOKEN_TTL_SECONDS) {
    throw new Error(`a request token lives 1 to ${MAX_REQUEST_TOKEN_TTL_SECONDS} seconds`);
  }
  const iat = Math.floor(now / 1000);
  const claims: RequestTokenClaims = {
    typ,
    iss: issuer,
    aud: audience,
    htm: request.method.toUpperCase(),
    htu: request.path,
    bd: request.bodyDigest,
    iat,
    exp: iat + ttlSeconds,
    jti: randomUUID(),
  };
  const body = Buffer.from(JSON.stringify({ ...extra, ...claims })).toString('base64url');
  return `${body}.${sign(null, signingInput(typ, body), privateKey).toString('base64url')}`;
}

export type RequestTokenRefusal = 'malformed' | 'unknown signer' | 'bad signature' | 'wrong audience' | 'expired' | 'wrong request';

export type RequestTokenVerification<T> = { ok: true; claims: RequestTokenClaims & T } | { ok: false; reason: RequestTokenRefusal };

export interface VerifyExpectation {
  typ: RequestTokenType;
  audience: string;
  request: RequestBinding;
  /** The public key of the token's issuer, or undefined for an issuer not trusted here. */
  keyOf: (issuer: string) => KeyObject | undefined;
  now?: number;
}

/**
 * Checks a token's form, signer, signature, audience, lifetime and request binding (not its jti:
 * that is the ReplayGuard's, once everything else holds).
 */
export function verifyRequestToken<T = Record<string, unknown>>(token: unknown, expected: VerifyExpectation): RequestTokenVerification<T> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  let claims: Partial<RequestTokenClaims> & T;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<RequestTokenClaims> & T;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims === null || typeof claims !== 'object' || claims.typ !== expected.typ || typeof claims.iss !== 'string') return { ok: false, reason: 'malformed' };
  const key = expected.keyOf(claims.iss);
  if (!key) return { ok: false, reason: 'unknown signer' };
  if (!verify(null, signingInput(expected.typ, body), key, Buffer.from(signature, 'base64url'))) return { ok: false, reason: 'bad signature' };
  if (
    typeof claims.aud !== 'string' ||
    typeof claims.htm !== 'string' ||
    typeof claims.htu !== 'string' ||
    typeof claims.bd !== 'string' ||
    typeof claims.jti !== 'string' ||
    !JTI_PATTERN.test(claims.jti)
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.aud !== expected.audience) return { ok: false, reason: 'wrong audience' };
  const nowSeconds = (expected.now ?? Date.now()) / 1000;
  if (
    typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number' ||
    claims.exp - claims.iat > MAX_REQUEST_TOKEN_TTL_SECONDS ||
    claims.exp + CLOCK_SKEW_SECONDS < nowSeconds ||
    claims.iat > nowSeconds + CLOCK_SKEW_SECONDS
  ) {
    return { ok: false, reason: 'expired' };
  }
  if (claims.htm !== expected.request.method.toUpperCase() || claims.htu !== expected.request.path || claims.bd !== expected.request.bodyDigest) {
    return { ok: false, reason: 'wrong request' };
  }
  return { ok: true, claims: claims as RequestTokenClaims & T };
}

/** Where the platform's JSON parser leaves the digest of the bytes it read. */
export type RequestWithBodyDigest = IncomingMessage & { originalUrl?: string; bodyDigest?: string };

/** For the JSON body parser's `verify` hook: remembers the digest of the raw body it parses. */
export const recordBodyDigest = (req: IncomingMessage, _res: unknown, buffer: Buffer): void => {
  (req as RequestWithBodyDigest).bodyDigest = bodyDigest(buffer);
};

/** Whether a request carries a body at all (as body-parser decides it). */
/**
 * Whether a request carries a body. `content-length: 0` is no body: a proxy adds that header to a
 * bodyless DELETE it forwards, so the gateway (which saw none) and the service must agree on it.
 */
export const hasBody = (req: IncomingMessage): boolean => req.headers['transfer-encoding'] !== undefined || Number.parseInt(req.headers['content-length'] ?? '', 10) > 0;

/**
 * The request as a receiving service sees it: method, path with query, and the digest of the body
 * the JSON parser read; a body it did not read (a streamed upload) is UNSIGNED_PAYLOAD, no body at
 * all the digest of nothing.
 */
export function receivedRequest(req: RequestWithBodyDigest): RequestBinding {
  return {
    method: req.method ?? 'GET',
    path: req.originalUrl ?? req.url ?? '/',
    bodyDigest: req.bodyDigest ?? (hasBody(req) ? UNSIGNED_PAYLOAD : EMPTY_BODY_DIGEST),
  };
}
