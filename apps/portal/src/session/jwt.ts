import type { OrganisationType, Role } from '../api/types';

/** The claims of a portal session token (signed by the gateway; the portal only reads them). */
export interface SessionClaims {
  sub: string;
  org: string;
  orgType: OrganisationType;
  roles: Role[];
  /** seconds since the epoch */
  exp: number;
  /** when the token was issued, seconds since the epoch */
  iat?: number;
}

const TYPES: readonly OrganisationType[] = ['merchant', 'supplier', 'operator'];

function base64UrlDecode(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** Reads a session token's claims; `null` for anything that is not a well-formed session token. */
export function decodeClaims(token: string): SessionClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const payload = JSON.parse(base64UrlDecode(parts[1])) as Partial<SessionClaims>;
    if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || typeof payload.exp !== 'number') return null;
    if (!payload.orgType || !TYPES.includes(payload.orgType)) return null;
    const claims: SessionClaims = { sub: payload.sub, org: payload.org, orgType: payload.orgType, roles: Array.isArray(payload.roles) ? payload.roles : [], exp: payload.exp };
    if (typeof payload.iat === 'number') claims.iat = payload.iat;
    return claims;
  } catch {
    return null;
  }
}

/** Whether the token has expired at `nowMs` (with a few seconds of margin for clock skew). */
export function isExpired(claims: SessionClaims, nowMs: number = Date.now()): boolean {
  return claims.exp * 1000 <= nowMs + 5_000;
}
