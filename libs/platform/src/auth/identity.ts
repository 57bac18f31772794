import type { KeyObject } from 'node:crypto';
import { ORGANISATION_TYPES, type OrganisationType } from '@kami/contracts';
import { signRequestToken, verifyRequestToken, type RequestBinding, type RequestTokenClaims, type RequestTokenRefusal, type SignOptions } from './request-token';

export const IDENTITY_HEADER = 'x-kami-identity';
/** The issuer of every forwarded identity. */
export const GATEWAY_ISSUER = 'gateway';

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

/**
 * Signs an identity for one downstream service and one request (Ed25519 with the gateway's private
 * key, GATEWAY_IDENTITY_PRIVATE_KEY): bound to the method, path with query and body digest, valid
 * for seconds, with a jti the service accepts once. The gateway strips any client-sent copy of the
 * header and sets this one.
 */
export function signIdentity(identity: Identity, audience: string, request: RequestBinding, privateKey: KeyObject, options?: SignOptions): string {
  const { organisationId, organisationType, principalType, principalId, roles } = identity;
  return signRequestToken('identity', GATEWAY_ISSUER, audience, request, privateKey, { idn: { organisationId, organisationType, principalType, principalId, roles } }, options);
}

export type IdentityVerification = { ok: true; identity: Identity; claims: RequestTokenClaims } | { ok: false; reason: RequestTokenRefusal };

/** Checks a forwarded identity against the gateway's public key, this service and the request it came with. */
export function verifyIdentity(header: string, audience: string, request: RequestBinding, gatewayKey: KeyObject, now = Date.now()): IdentityVerification {
  const result = verifyRequestToken<{ idn?: Partial<Identity> }>(header, {
    typ: 'identity',
    audience,
    request,
    keyOf: (issuer) => (issuer === GATEWAY_ISSUER ? gatewayKey : undefined),
    now,
  });
  if (!result.ok) return result;
  const idn = result.claims.idn;
  if (
    !idn ||
    typeof idn !== 'object' ||
    typeof idn.organisationId !== 'string' ||
    !ORGANISATION_TYPES.includes(idn.organisationType as OrganisationType) ||
    (idn.principalType !== 'user' && idn.principalType !== 'api_key') ||
    typeof idn.principalId !== 'string' ||
    !Array.isArray(idn.roles) ||
    !idn.roles.every((r) => ROLES.includes(r))
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const { organisationId, organisationType, principalType, principalId, roles } = idn as Identity;
  return { ok: true, identity: { organisationId, organisationType, principalType, principalId, roles }, claims: result.claims };
}
