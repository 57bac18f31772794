import type { OrganisationType } from '@kami/contracts';
import { DomainError, type Identity } from '@kami/platform';

/**
 * What an API key may do. A key holds the scopes chosen when it was made (at most those its
 * organisation type can use); a new key gets the least its integration needs. Portal users are
 * not limited by scopes: their role is (`admin` for what moves money or hands out credentials).
 */
export const API_KEY_SCOPES = {
  'catalog:read': 'read products, offers and prices',
  'orders:read': 'read orders and their status',
  'orders:write': 'quote, place and cancel orders (spends the wallet)',
  'codes:read': "read the plaintext codes of the organisation's orders",
  'stock:read': 'read purchased stock levels, alerts and restock rules',
  'stock:pull': 'pull codes from purchased stock (plaintext)',
  'stock:manage': 'set low-stock alerts and auto-restock rules (auto-restock spends the wallet)',
  'webhooks:manage': 'manage webhook endpoints (never ones that receive plaintext codes) and deliveries',
  'disputes:read': 'read disputes',
  'disputes:write': 'open disputes; suppliers: replace, refund or contest them',
  'wallet:read': 'read wallet balances, ledger accounts, statements, top-ups and refunds',
  'topups:write': 'open wallet or deposit top-ups (the payer still pays at the provider)',
  'offers:write': 'propose products, request brand authorisations, create and change offers',
  'batches:read': 'read code batches, their refusals and stock',
  'batches:write': 'upload and void code batches',
} as const;

export type ApiKeyScope = keyof typeof API_KEY_SCOPES;
export const API_KEY_SCOPE_NAMES = Object.keys(API_KEY_SCOPES) as ApiKeyScope[];

/** The scopes a key of each organisation type may hold. */
export const SCOPES_BY_ORGANISATION_TYPE: Record<OrganisationType, readonly ApiKeyScope[]> = {
  merchant: ['catalog:read', 'orders:read', 'orders:write', 'codes:read', 'stock:read', 'stock:pull', 'stock:manage', 'webhooks:manage', 'disputes:read', 'disputes:write', 'wallet:read', 'topups:write'],
  supplier: ['catalog:read', 'offers:write', 'batches:read', 'batches:write', 'disputes:read', 'disputes:write', 'wallet:read', 'topups:write'],
  operator: ['catalog:read', 'orders:read', 'batches:read', 'disputes:read', 'wallet:read'],
};

/** What a new key gets when its creator names no scopes: a storefront buys and pulls; a supplier integration uploads. */
export const DEFAULT_SCOPES: Record<OrganisationType, readonly ApiKeyScope[]> = {
  merchant: ['catalog:read', 'orders:read', 'orders:write', 'codes:read', 'stock:read', 'stock:pull'],
  supplier: ['catalog:read', 'batches:read', 'batches:write'],
  operator: ['catalog:read'],
};

interface ScopeRule {
  methods: readonly string[];
  /** Matched against the path without its query. */
  path: RegExp;
  /** Any one of these lets a key through; empty: any key. */
  scopes: readonly ApiKeyScope[];
}

const ID = '[^/]+';
const rule = (methods: string, path: string, scopes: ApiKeyScope[]): ScopeRule => ({ methods: methods.split('|'), path: new RegExp(`^/api/v1/${path}$`), scopes });

/**
 * Which scope each route needs from an API key, first match wins. A route listed nowhere is closed
 * to API keys (403 `api_key_route_forbidden`): a new route is for portal users until it is given a
 * scope here. The services still apply their own access policy (organisation type, ownership) on top.
 */
export const SCOPE_RULES: readonly ScopeRule[] = [
  rule('GET', 'identity/(me|organisation)', []),
  rule('GET', 'catalog(/.*)?', ['catalog:read']),
  rule('POST|PATCH', `catalog/(offers|products|brand-authorisations)(/${ID})*`, ['offers:write']),
  rule('GET', `vault/codes/${ID}/history`, ['codes:read', 'batches:read']),
  rule('GET', 'vault(/.*)?', ['batches:read']),
  rule('POST|PUT', `vault/(batches|codes)(/${ID})*`, ['batches:write']),
  rule('GET', `orders/${ID}/codes(\\.csv)?`, ['codes:read']),
  rule('GET', `orders(/${ID})?`, ['orders:read']),
  rule('POST', `orders(/quote|/${ID}/cancel)?`, ['orders:write']),
  rule('POST', `stock/${ID}/pull`, ['stock:pull']),
  rule('GET', `stock(/${ID}(/restock-rule)?)?`, ['stock:read']),
  rule('PUT|DELETE', `stock/${ID}/(settings|restock-rule)`, ['stock:manage']),
  rule('GET|POST|PATCH|DELETE', 'webhooks/(endpoints|deliveries)(/.*)?', ['webhooks:manage']),
  rule('GET', `disputes(/${ID})?`, ['disputes:read']),
  rule('POST', `disputes(/${ID}/(replace|refund|reject))?`, ['disputes:write']),
  rule('GET', `settlement/(wallet|accounts|statements|deposit|refunds|topups(/${ID})?)`, ['wallet:read']),
  rule('POST', `settlement/topups(/${ID}/sandbox-pay)?`, ['topups:write']),
];

/** The scopes a key needs for this request; undefined when no key may call it. */
export function scopesFor(method: string, url: string): readonly ApiKeyScope[] | undefined {
  const path = url.split('?')[0]!;
  return SCOPE_RULES.find((r) => r.methods.includes(method) && r.path.test(path))?.scopes;
}

/** An API key's identity carries its scopes (portal users' identities carry none). */
export type KeyedIdentity = Identity & { scopes?: readonly ApiKeyScope[] };

/** Refuses an API key the request's route is closed to, or that lacks the route's scope (403 problems with stable codes). */
export function assertApiKeyMayCall(identity: KeyedIdentity, method: string, url: string): void {
  if (identity.principalType !== 'api_key') return;
  const needed = scopesFor(method, url);
  if (needed === undefined) throw new DomainError('api_key_route_forbidden', 403, 'API keys cannot call this route; a portal user can.');
  if (needed.length > 0 && !needed.some((scope) => identity.scopes?.includes(scope))) {
    throw new DomainError('api_key_scope_missing', 403, `This API key lacks the ${needed.join(' or ')} scope.`, { requiredScopes: [...needed] });
  }
}
