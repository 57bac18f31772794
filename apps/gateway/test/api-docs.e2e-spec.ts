import { startSystem, type JsonBody, type SystemHarness } from '@kami/testing';

/*
 * The public API document through the real gateway, with the real catalog behind it (and no
 * vault, ordering, delivery or settlement): the gateway's own routes and the catalog's, merged.
 */

const NOT_STARTED = ['vault', 'ordering', 'delivery', 'settlement'];
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

let h: SystemHarness;

beforeAll(async () => {
  h = await startSystem({ label: 'api_docs', limits: { RATE_LIMIT_PER_IP: 10_000 } });
}, 90_000);

afterAll(async () => {
  await h?.stop();
});

type Document = { paths: Record<string, Record<string, JsonBody>>; components?: Record<string, Record<string, unknown>>; info: { description?: string } } & Record<string, unknown>;

async function publicDocument(): Promise<Document> {
  const response = await h.gateway.request('GET', '/api/docs/openapi.json');
  expect(response.status).toBe(200);
  expect(response.contentType).toMatch(/^application\/json/);
  return response.body;
}

const methods = (document: Document, path: string): string[] => Object.keys(document.paths[path] ?? {}).filter((m) => HTTP_METHODS.has(m)).sort();

/** Every `$ref` string in a document. */
function refsIn(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, into));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') into.push(child);
      else refsIn(child, into);
    }
  }
  return into;
}

/** Follows a local JSON pointer (`#/components/schemas/X`); undefined when nothing is there. */
function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((segment) => decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, segment) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined), document);
}

const operations = (document: Document): { path: string; method: string; operation: JsonBody }[] =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );

describe('GET /api/docs/openapi.json', () => {
  it('lists the gateway’s identity routes and the catalog’s public routes', async () => {
    const document = await publicDocument();
    expect(methods(document, '/api/v1/identity/sessions')).toEqual(['post']);
    expect(methods(document, '/api/v1/identity/me')).toEqual(['get']);
    expect(methods(document, '/api/v1/identity/api-keys')).toEqual(['get', 'post']);
    expect(methods(document, '/api/v1/identity/api-keys/{id}')).toEqual(['delete']);

    expect(methods(document, '/api/v1/catalog/products')).toEqual(['get', 'post']);
    expect(methods(document, '/api/v1/catalog/products/{productId}')).toEqual(['get', 'patch']);
    expect(methods(document, '/api/v1/catalog/offers')).toEqual(['get', 'post']);
    expect(methods(document, '/api/v1/catalog/products/{productId}/offers')).toEqual(['get']);
    expect(methods(document, '/api/v1/catalog/categories')).toEqual(['get', 'post']);
    expect(methods(document, '/api/v1/catalog/brand-authorisations')).toEqual(['get', 'post']);
    expect(document.paths['/api/v1/catalog/products']!.post!.summary).toEqual(expect.any(String));
    expect(document.paths['/api/v1/catalog/products']!.get!.tags).toEqual(['catalog']);
    expect(document.paths['/api/v1/identity/me']!.get!.tags).toEqual(['identity']);
  });

  it('takes from the catalog only its routes under /api/v1/catalog, nothing internal', async () => {
    const document = await publicDocument();
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/internal'))).toEqual([]);
    // The catalog documents its own /health/* and /metrics too; only the gateway's are public.
    const catalogOwn = (await h.service('catalog').request('GET', '/internal/openapi.json')).body as Document;
    expect(Object.keys(catalogOwn.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    const fromCatalog = operations(document).filter(({ operation }) => String(operation.operationId).startsWith('catalog_'));
    expect(fromCatalog.length).toBeGreaterThan(10);
    expect(fromCatalog.filter(({ path }) => !path.startsWith('/api/v1/catalog/'))).toEqual([]);
  });

  it('resolves every $ref to a component in the document', async () => {
    const document = await publicDocument();
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(0);
    const dangling = [...new Set(refs)].filter((ref) => resolve(document, ref) === undefined);
    expect(dangling).toEqual([]);
    // The catalog's request and response schemas came along.
    const productsPost = document.paths['/api/v1/catalog/products']!.post!;
    const bodyRef = productsPost.requestBody?.content?.['application/json']?.schema?.$ref as string;
    expect(bodyRef).toMatch(/^#\/components\/schemas\//);
    expect(resolve(document, bodyRef)).toMatchObject({ type: 'object', properties: expect.any(Object) });
    expect(Object.keys(document.components!.schemas!)).toEqual(expect.arrayContaining(['CreateProductDto', 'ProductPageDto']));
  });

  it('asks for a session token or an API key on every catalog operation, with unique operation ids', async () => {
    const document = await publicDocument();
    expect(Object.keys(document.components!.securitySchemes!).sort()).toEqual(['api-key', 'bearer']);
    const catalog = operations(document).filter(({ path }) => path.startsWith('/api/v1/catalog/'));
    expect(catalog.length).toBeGreaterThan(10);
    for (const { path, method, operation } of catalog) {
      expect({ path, method, security: operation.security }).toEqual({ path, method, security: [{ bearer: [] }, { 'api-key': [] }] });
    }
    const ids = operations(document).map(({ operation }) => operation.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('names the services that did not answer, and is still served', async () => {
    const document = await publicDocument();
    expect([...(document['x-kami-missing-services'] as string[])].sort()).toEqual([...NOT_STARTED].sort());
    for (const service of NOT_STARTED) expect(document.info.description).toContain(service);
    expect(document.info.description).not.toContain('catalog');
    expect(Object.keys(document.paths).filter((path) => /^\/api\/v1\/(vault|orders|delivery|settlement)(\/|$)/.test(path))).toEqual([]);
  });
});

describe('the services’ own documents', () => {
  it('are served by each service at /internal/openapi.json without an identity', async () => {
    const response = await h.service('catalog').request('GET', '/internal/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: expect.stringContaining('catalog') } });
    expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/api/v1/catalog/products', '/api/v1/catalog/offers']));
    expect(Object.keys(response.body.paths)).not.toContain('/internal/openapi.json');
  });

  it('are not reachable through the gateway', async () => {
    for (const path of ['/internal/openapi.json', '/internal/openapi.json?x=1', '/INTERNAL/openapi.json']) {
      const response = await h.gateway.request('GET', path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.text).not.toContain('/api/v1/catalog/products');
    }
  });
});

describe('Swagger UI', () => {
  it('answers /api/docs with HTML, and shows the merged document', async () => {
    const page = await h.gateway.request('GET', '/api/docs', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui');

    // Swagger UI renders the document embedded in its init script: the merged one.
    const init = await h.gateway.request('GET', '/api/docs/swagger-ui-init.js', { headers: { accept: '*/*' } });
    expect(init.status).toBe(200);
    expect(init.text).toContain('/api/v1/identity/sessions');
    expect(init.text).toContain('/api/v1/catalog/products/{productId}/offers');
  });
});
