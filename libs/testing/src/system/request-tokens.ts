import { createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';

/*
 * The wire format of the platform's signed request tokens (libs/platform/src/auth/request-token.ts),
 * written again here with node:crypto alone, so tests can make genuine tokens with the harness's
 * keys and forge bad ones (another key, another request, an old jti). The test harness may not
 * import app code.
 *
 *   token  = base64url(JSON claims) "." base64url(Ed25519 signature of "kami.<typ>.v2:" + first part)
 *   claims = { typ, iss, aud, htm, htu, bd, iat, exp, jti, ...(typ identity: idn) }
 *   bd     = base64url(SHA-256 of the body bytes), or "UNSIGNED-PAYLOAD" for a streamed body
 */

/** An Ed25519 key pair as the services read it from their environment (base64url DER: SPKI, PKCS8). */
export interface SigningKeyPair {
  publicKey: string;
  privateKey: string;
}

export function generateSigningKeyPair(): SigningKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64url'),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url'),
  };
}

/** What a token is bound to: the request it is sent with. */
export interface SignedRequest {
  method: string;
  /** Path with its query string, exactly as sent. */
  path: string;
  /** The body bytes as sent (a string is taken as UTF-8); none for no body. */
  body?: string | Buffer;
  /** Set instead of `body` to sign "UNSIGNED-PAYLOAD" or any digest at all. */
  bodyDigest?: string;
}

export interface TokenOptions {
  /** Lifetime in seconds (default 30). */
  ttlSeconds?: number;
  /** Issue time, unix seconds (default now). */
  issuedAt?: number;
  /** The token's id (default a random UUID): reuse one to replay. */
  jti?: string;
  /** Claims to put over the computed ones (anything at all, for malformed tokens). */
  override?: Record<string, unknown>;
}

export const bodyDigestOf = (body: string | Buffer = ''): string => createHash('sha256').update(body).digest('base64url');

function signToken(typ: 'identity' | 'service', claims: Record<string, unknown>, privateKey: string): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const key = createPrivateKey({ key: Buffer.from(privateKey, 'base64url'), format: 'der', type: 'pkcs8' });
  const signature = sign(null, Buffer.from(`kami.${typ}.v2:${body}`), key).toString('base64url');
  return `${body}.${signature}`;
}

function baseClaims(typ: 'identity' | 'service', issuer: string, audience: string, request: SignedRequest, options: TokenOptions): Record<string, unknown> {
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  return {
    typ,
    iss: issuer,
    aud: audience,
    htm: request.method.toUpperCase(),
    htu: request.path,
    bd: request.bodyDigest ?? bodyDigestOf(request.body),
    iat,
    exp: iat + (options.ttlSeconds ?? 30),
    jti: options.jti ?? randomUUID(),
  };
}

export interface ForwardedIdentity {
  organisationId: string;
  organisationType: string;
  principalType: 'user' | 'api_key';
  principalId: string;
  roles: string[];
}

/** An `x-kami-identity` header as the gateway signs it for `audience`, bound to one request. */
export function signIdentityHeader(identity: ForwardedIdentity, audience: string, request: SignedRequest, privateKey: string, options: TokenOptions = {}): string {
  return signToken('identity', { ...baseClaims('identity', 'gateway', audience, request, options), idn: identity, ...options.override }, privateKey);
}

/** An `x-kami-service` token as service `caller` signs it for calling `audience`, bound to one request. */
export function signServiceToken(caller: string, audience: string, request: SignedRequest, privateKey: string, options: TokenOptions = {}): string {
  return signToken('service', { ...baseClaims('service', caller, audience, request, options), ...options.override }, privateKey);
}
