import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { defaultPortalDir, portalMiddleware } from './portal-static';

/** A built portal in miniature: index.html, a hashed script and an unhashed file. */
function fixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kami-portal-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Kami</title><div id="root"></div>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-B1x2y3z4.js'), 'console.log("portal")');
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  return dir;
}

/** The portal in front of a stand-in for the gateway's API routes (as main.ts mounts it). */
function app(dir: string): express.Express {
  const server = express();
  server.use(portalMiddleware(dir));
  server.all(/^\/(api|health|metrics)(\/.*)?$/i, (req, res) => {
    res.json({ api: true, method: req.method, path: req.path });
  });
  return server;
}

describe('portal static serving', () => {
  let dir: string;
  beforeAll(() => (dir = fixture()));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('serves index.html at / without caching it', async () => {
    const response = await request(app(dir)).get('/');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.text).toContain('<div id="root">');
  });

  it.each(['/merchant/orders', '/supplier/batches/3f0c7a9e-1b2c-4d5e-8f90-123456789abc', '/login'])('answers the deep link %s with index.html', async (url) => {
    const response = await request(app(dir)).get(url).set('accept', 'text/html');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('<div id="root">');
  });

  it('serves a hashed asset with its content type, cached for a year', async () => {
    const response = await request(app(dir)).get('/assets/index-B1x2y3z4.js');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('revalidates an unhashed file', async () => {
    const response = await request(app(dir)).get('/favicon.svg');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing asset 404, not with the page', async () => {
    const response = await request(app(dir)).get('/assets/gone-12345678.js');
    expect(response.status).toBe(404);
  });

  it.each(['/api/v1/catalog/products', '/API/V1/catalog/products', '/api', '/api/docs', '/api/docs/openapi.json', '/health', '/health/ready', '/metrics'])(
    'leaves %s to the gateway',
    async (url) => {
      const response = await request(app(dir)).get(url).set('accept', 'text/html,application/json');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ api: true, method: 'GET', path: url });
    },
  );

  it('leaves other methods to the gateway', async () => {
    const response = await request(app(dir)).post('/merchant/orders');
    expect(response.status).toBe(404);
    const api = await request(app(dir)).post('/api/v1/identity/sessions');
    expect(api.body).toEqual({ api: true, method: 'POST', path: '/api/v1/identity/sessions' });
  });

  it('answers 503 portal_not_built for pages when the portal is not built, and the API works on', async () => {
    const server = app(path.join(dir, 'not-there'));
    const page = await request(server).get('/');
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(page.body).toMatchObject({ code: 'portal_not_built', status: 503 });
    expect((await request(server).get('/merchant/orders')).status).toBe(503);
    expect((await request(server).get('/api/v1/catalog/products')).body).toMatchObject({ api: true });
  });
});

describe('defaultPortalDir', () => {
  it('is <workspace>/dist/apps/portal from the sources and from the build alike', () => {
    expect(defaultPortalDir('/repo/apps/gateway/src/portal')).toBe(path.join('/repo', 'dist', 'apps', 'portal'));
    expect(defaultPortalDir('/repo/dist/apps/gateway/src/portal')).toBe(path.join('/repo', 'dist', 'apps', 'portal'));
    expect(defaultPortalDir('/app/dist/apps/gateway/src/portal')).toBe(path.join('/app', 'dist', 'apps', 'portal'));
  });

  it('from this checkout is the workspace dist directory', () => {
    expect(defaultPortalDir()).toBe(path.resolve(__dirname, '../../../../dist/apps/portal'));
  });
});
