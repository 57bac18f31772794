import { createHmac, timingSafeEqual } from 'node:crypto';
import { ORGANISATION_TYPES, type OrganisationType } from '@kami/contracts';

export const IDENTITY_HEADER = 'x-kami-identity';

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as verified by the gateway. Services trust only a signed copy of this. */
export interface Identity {
  organisationId: string;
  organisationType: OrganisationType;
  /** `user` for a portal session, `api_key` for a storefront or supplier integration. */
  principalType: 'user' | 'api_key';
  principalId: string;
  roles: Role[];
}

interface SignedIdentity extends Identity {
  /** audience: the service the gateway forwarded to */
  aud: string;
  /** expiry, unix seconds */
  exp: number;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function sign(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

/**
 * Signs an identity for one downstream service (HMAC-SHA256, short expiry). The gateway strips
 * any client-sent copy of the header and sets this one; a service accepts only a valid signature
 * for its own audience.
 */
export function signIdentity(identity: Identity, audience: string, secret: string, ttlSeconds = 60, now = Date.now()): string {
  const token: SignedIdentity = { ...identity, aud: audience, exp: Math.floor(now / 1000) + ttlSeconds };
  const body = b64url(JSON.stringify(token));
  return `${body}.${sign(body, secret)}`;
}

export type IdentityVerification = { ok: true; identity: Identity } | { ok: false; reason: string };

export function verifyIdentity(header: string, audience: string, secret: string, now = Date.now()): IdentityVerification {
  const [body, signature, extra] = header.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad signature' };
  let token: SignedIdentity;
  try {
    token = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SignedIdentity;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (token.aud !== audience) return { ok: false, reason: 'wrong audience' };
  if (typeof token.exp !== 'number' || token.exp * 1000 < now) return { ok: false, reason: 'expired' };
  if (!ORGANISATION_TYPES.includes(token.organisationType)) return { ok: false, reason: 'malformed' };
  const { organisationId, organisationType, principalType, principalId, roles } = token;
  return { ok: true, identity: { organisationId, organisationType, principalType, principalId, roles } };
}
