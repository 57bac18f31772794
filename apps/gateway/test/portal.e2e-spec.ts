import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSystem, type SystemHarness } from '@kami/testing';

/*
 * The real gateway serving a portal build (a miniature one here: the portal's own browser tests
 * use the real build) at `/`, with the API under `/api` unchanged, through the same process.
 */

let h: SystemHarness;
let portalDir: string;

beforeAll(async () => {
  portalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kami-portal-e2e-'));
  fs.mkdirSync(path.join(portalDir, 'assets'));
  fs.writeFileSync(path.join(portalDir, 'index.html'), '<!doctype html><html lang="zh-CN"><title>Kami</title><div id="root"></div></html>');
  fs.writeFileSync(path.join(portalDir, 'assets', 'index-Dx8k2LmQ.css'), 'body{margin:0}');
  h = await startSystem({ label: 'gw_portal', portalDir });
}, 90_000);

afterAll(async () => {
  await h?.stop();
  fs.rmSync(portalDir, { recursive: true, force: true });
});

const page = (url: string): Promise<Response> => fetch(`${h.gateway.url}${url}`, { headers: { accept: 'text/html' } });

it('serves the portal at / and at a deep link, never cached', async () => {
  for (const url of ['/', '/merchant/orders']) {
    const response = await page(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.text()).toContain('<div id="root">');
  }
});

it('serves a hashed asset with its content type and a long cache', async () => {
  const response = await fetch(`${h.gateway.url}/assets/index-Dx8k2LmQ.css`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/css/);
  expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
});

it('still routes the API, its docs and health under their own paths', async () => {
  const categories = await h.gateway.request('GET', '/api/v1/catalog/categories', { headers: { accept: 'text/html,application/json' } });
  // Proxied to the catalog, which wants a caller: a problem, not the portal's page.
  expect(categories.status).toBe(401);
  expect(categories.contentType).toMatch(/^application\/problem\+json/);
  const unknown = await page('/api/v1/nothing-here');
  expect(unknown.status).toBe(404);
  expect(await unknown.text()).not.toContain('<div id="root">');
  const docs = await h.gateway.request('GET', '/api/docs/openapi.json');
  expect(docs.status).toBe(200);
  expect(docs.body).toHaveProperty('openapi');
  const health = await h.gateway.request('GET', '/health/live');
  expect(health.status).toBe(200);
});

describe('security headers', () => {
  const common = (response: Response): Record<string, string | null> => ({
    'x-frame-options': response.headers.get('x-frame-options'),
    'x-content-type-options': response.headers.get('x-content-type-options'),
    'referrer-policy': response.headers.get('referrer-policy'),
  });
  const directives = (response: Response): Map<string, string> =>
    new Map(
      (response.headers.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')]),
    );
  const expected = { 'x-frame-options': 'DENY', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

  it('the portal page, a deep link and an asset carry a CSP that allows only its own scripts, and no framing', async () => {
    for (const response of [await page('/'), await page('/merchant/orders'), await fetch(`${h.gateway.url}/assets/index-Dx8k2LmQ.css`)]) {
      expect(common(response)).toEqual(expected);
      const csp = directives(response);
      expect(csp.get('default-src')).toBe("'self'");
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('object-src')).toBe("'none'");
      expect(csp.get('base-uri')).toBe("'none'");
      expect(csp.get('frame-ancestors')).toBe("'none'");
    }
  });

  it('API answers (proxied, the gateway’s own, problems) carry them too, with a CSP that loads nothing', async () => {
    const answers = [
      await fetch(`${h.gateway.url}/api/v1/catalog/categories`),
      await fetch(`${h.gateway.url}/api/v1/nothing-here`),
      await fetch(`${h.gateway.url}/api/docs/openapi.json`),
      await fetch(`${h.gateway.url}/api/v1/identity/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      await fetch(`${h.gateway.url}/health/live`),
    ];
    expect(answers.map((r) => r.status)).toEqual([401, 404, 200, 400, 200]);
    for (const response of answers) {
      expect(common(response)).toEqual(expected);
      const csp = directives(response);
      expect([csp.get('default-src'), csp.get('frame-ancestors')]).toEqual(["'none'", "'none'"]);
    }
  });

  it('Strict-Transport-Security only when the request came over https (here: a trusted proxy says so)', async () => {
    const plain = await page('/');
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    for (const url of ['/', '/api/v1/catalog/categories']) {
      const secure = await fetch(`${h.gateway.url}${url}`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(secure.headers.get('strict-transport-security')).toBe('max-age=31536000');
    }
  });
});
