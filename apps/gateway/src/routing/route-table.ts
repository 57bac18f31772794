import type { GatewayConfig } from '../config/gateway.config';

export type UpstreamService = 'catalog' | 'vault' | 'ordering' | 'delivery' | 'settlement';

export interface Route {
  /** Path prefix under which requests go to the service, unchanged. */
  prefix: string;
  /** Only the paths under the prefix that match this (a narrower route listed before the prefix's own). */
  pattern?: RegExp;
  service: UpstreamService;
}

/**
 * `/api/v1/<area>/...` → the service that owns the area, first match wins. The gateway answers
 * `/api/v1/identity` itself. One area is shared: an order's codes live in delivery, under
 * ordering's `/api/v1/orders` (the address a storefront expects), so that narrower route comes first.
 */
export const ROUTES: readonly Route[] = [
  { prefix: '/api/v1/orders', pattern: /^\/api\/v1\/orders\/[^/?]+\/codes(?:\.csv)?(?:\?.*)?$/, service: 'delivery' },
  { prefix: '/api/v1/catalog', service: 'catalog' },
  { prefix: '/api/v1/vault', service: 'vault' },
  { prefix: '/api/v1/orders', service: 'ordering' },
  { prefix: '/api/v1/delivery', service: 'delivery' },
  { prefix: '/api/v1/stock', service: 'delivery' },
  { prefix: '/api/v1/webhooks', service: 'delivery' },
  { prefix: '/api/v1/disputes', service: 'delivery' },
  { prefix: '/api/v1/settlement', service: 'settlement' },
];

export function upstreamUrls(config: GatewayConfig): Record<UpstreamService, string> {
  return {
    catalog: config.CATALOG_URL,
    vault: config.VAULT_URL,
    ordering: config.ORDERING_URL,
    delivery: config.DELIVERY_URL,
    settlement: config.SETTLEMENT_URL,
  };
}

export function routeFor(path: string): Route | undefined {
  return ROUTES.find((r) => (path === r.prefix || path.startsWith(`${r.prefix}/`) || path.startsWith(`${r.prefix}?`)) && (!r.pattern || r.pattern.test(path)));
}

/**
 * Routes reachable without a Kami identity, forwarded with none. Only payment providers'
 * notifications: the provider signs them and settlement verifies the signature, which is
 * their one credential.
 */
export const PUBLIC_ROUTES: readonly { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/v1\/settlement\/providers\/[a-z0-9-]{1,40}\/notifications(?:\?.*)?$/ },
];

export function isPublicRoute(method: string, path: string): boolean {
  return PUBLIC_ROUTES.some((r) => r.method === method && r.path.test(path));
}
