import type { GatewayConfig } from '../config/gateway.config';

export type UpstreamService = 'catalog' | 'vault' | 'ordering' | 'delivery' | 'settlement';

export interface Route {
  /** Path prefix under which requests go to the service, unchanged. */
  prefix: string;
  service: UpstreamService;
}

/** `/api/v1/<area>/...` → the service that owns the area. The gateway answers `/api/v1/identity` itself. */
export const ROUTES: readonly Route[] = [
  { prefix: '/api/v1/catalog', service: 'catalog' },
  { prefix: '/api/v1/vault', service: 'vault' },
  { prefix: '/api/v1/orders', service: 'ordering' },
  { prefix: '/api/v1/delivery', service: 'delivery' },
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
  return ROUTES.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`) || path.startsWith(`${r.prefix}?`));
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
