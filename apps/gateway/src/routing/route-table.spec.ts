import type { GatewayConfig } from '../config/gateway.config';
import { isPublicRoute, ROUTES, routeFor, upstreamUrls } from './route-table';

describe('routeFor', () => {
  it.each([
    ['/api/v1/catalog', 'catalog'],
    ['/api/v1/catalog/whoami', 'catalog'],
    ['/api/v1/catalog?cursor=abc', 'catalog'],
    ['/api/v1/catalog/offers?product=1', 'catalog'],
    ['/api/v1/vault/batches', 'vault'],
    ['/api/v1/orders', 'ordering'],
    ['/api/v1/orders/7f0c/lines', 'ordering'],
    ['/api/v1/delivery/pull', 'delivery'],
    ['/api/v1/orders/7f0c/codes', 'delivery'],
    ['/api/v1/orders/7f0c/codes?limit=10&wait=30', 'delivery'],
    ['/api/v1/orders/7f0c/codes.csv', 'delivery'],
    ['/api/v1/orders/7f0c/codesx', 'ordering'],
    ['/api/v1/orders/7f0c/codes/1', 'ordering'],
    ['/api/v1/stock/8a1b/pull', 'delivery'],
    ['/api/v1/webhooks/endpoints', 'delivery'],
    ['/api/v1/disputes', 'delivery'],
    ['/api/v1/settlement/wallet', 'settlement'],
  ])('%s goes to %s', (path, service) => {
    expect(routeFor(path)?.service).toBe(service);
  });

  it.each([
    '/api/v1/catalogue',
    '/api/v1/catalogue/whoami',
    '/api/v1/catalog-admin',
    '/api/v1/vaults',
    '/api/v1/ordersx',
    '/api/v1/order',
    '/api/v1/identity/me',
    '/api/v1/identity/sessions',
    '/api/v2/catalog',
    '/api/v1',
    '/catalog',
    '/x/api/v1/catalog',
    '/API/V1/CATALOG',
    '/health',
    '/api/docs/openapi.json',
  ])('%s is not forwarded', (path) => {
    expect(routeFor(path)).toBeUndefined();
  });

  it('has no plain prefix inside another, and every narrower route before its prefix’s own', () => {
    const plain = ROUTES.filter((r) => !r.pattern);
    expect(new Set(plain.map((r) => r.prefix)).size).toBe(plain.length);
    for (const a of plain) {
      for (const b of plain) if (a !== b) expect(b.prefix.startsWith(`${a.prefix}/`)).toBe(false);
    }
    for (const [i, narrow] of ROUTES.entries()) {
      if (narrow.pattern) expect(ROUTES.findIndex((r) => !r.pattern && r.prefix === narrow.prefix)).toBeGreaterThan(i);
    }
  });

  it('takes each service URL from the configuration', () => {
    const config = {
      CATALOG_URL: 'http://catalog:1',
      VAULT_URL: 'http://vault:2',
      ORDERING_URL: 'http://ordering:3',
      DELIVERY_URL: 'http://delivery:4',
      SETTLEMENT_URL: 'http://settlement:5',
    } as GatewayConfig;
    expect(upstreamUrls(config)).toEqual({
      catalog: 'http://catalog:1',
      vault: 'http://vault:2',
      ordering: 'http://ordering:3',
      delivery: 'http://delivery:4',
      settlement: 'http://settlement:5',
    });
    for (const route of ROUTES) expect(upstreamUrls(config)[route.service]).toBeDefined();
  });
});

describe('isPublicRoute', () => {
  it('lets only a POST of a payment provider notification through without identity', () => {
    expect(isPublicRoute('POST', '/api/v1/settlement/providers/sandbox/notifications')).toBe(true);
    expect(isPublicRoute('POST', '/api/v1/settlement/providers/alipay/notifications?charset=utf-8')).toBe(true);
  });

  it.each([
    ['GET', '/api/v1/settlement/providers/sandbox/notifications'],
    ['POST', '/api/v1/settlement/providers/sandbox/notifications/extra'],
    ['POST', '/api/v1/settlement/providers/sandbox/notifications/../../wallet'],
    ['POST', '/api/v1/settlement/providers/..%2F..%2Fwallet/notifications'],
    ['POST', '/api/v1/settlement/providers//notifications'],
    ['POST', '/api/v1/settlement/topups'],
    ['POST', '/api/v1/settlement/wallet'],
    ['POST', '/api/v1/orders'],
  ])('%s %s still needs an identity', (method, path) => {
    expect(isPublicRoute(method, path)).toBe(false);
  });
});
