import type { OpenAPIObject, SecurityRequirementObject } from '@nestjs/swagger';
import { isOpenApiDocument, isUnderPrefix, mergeOpenApiDocuments, MISSING_SERVICES_EXTENSION } from './merge-openapi';

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const ok = (schema: unknown): Record<string, unknown> => ({ '200': { description: 'ok', content: { 'application/json': { schema } } } });
const SECURITY: SecurityRequirementObject[] = [{ bearer: [] }, { 'api-key': [] }];

function gatewayDocument(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 'Kami API', version: '1', description: 'The public API.' },
    paths: {
      '/api/v1/identity/me': { get: { operationId: 'IdentityController_me', responses: ok(ref('IdentityDto')) as never } },
      '/health': { get: { operationId: 'SystemHealthController_system', responses: ok({ type: 'object' }) as never } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, 'api-key': { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
      schemas: {
        IdentityDto: { type: 'object', properties: { organisationId: { type: 'string' } } },
        MoneyDto: { type: 'object', properties: { fen: { type: 'integer' } } },
        PageInfo: { type: 'object', properties: { next: { type: 'string' } } },
      },
    },
    tags: [],
  };
}

function catalogDocument(): OpenAPIObject {
  return {
    openapi: '3.0.0',
    info: { title: 'Kami catalog', version: '1' },
    paths: {
      '/api/v1/catalog/products': {
        get: { operationId: 'ProductsController_search', tags: ['catalog'], responses: ok(ref('ProductPageDto')) as never },
        post: {
          operationId: 'ProductsController_create',
          requestBody: { required: true, content: { 'application/json': { schema: ref('CreateProductDto') } } },
          responses: ok(ref('ProductDto')) as never,
        },
      },
      '/api/v1/catalog/whoami': { get: { operationId: 'WhoAmIController_whoami', responses: ok(ref('IdentityDto')) as never } },
      '/health/live': { get: { operationId: 'HealthController_live', responses: ok(ref('HealthDto')) as never } },
      '/api/v1/catalogue': { get: { operationId: 'Other_list', responses: ok(ref('OtherDto')) as never } },
    },
    components: {
      securitySchemes: { internal: { type: 'apiKey', in: 'header', name: 'x-kami-identity' } },
      schemas: {
        ProductPageDto: { type: 'object', properties: { items: { type: 'array', items: ref('ProductDto') }, page: ref('PageInfo') } },
        ProductDto: { type: 'object', properties: { id: { type: 'string' }, price: ref('MoneyDto') } },
        CreateProductDto: { type: 'object', properties: { name: { type: 'string' } } },
        // The same name and content as the gateway's: shared.
        IdentityDto: { type: 'object', properties: { organisationId: { type: 'string' } } },
        // The same name as the gateway's with other content: renamed.
        MoneyDto: { type: 'object', properties: { yuan: { type: 'number' } } },
        // Equal content, but refers to nothing renamed: shared.
        PageInfo: { type: 'object', properties: { next: { type: 'string' } } },
        HealthDto: { type: 'object' },
        OtherDto: { type: 'object' },
        Unused: { type: 'object' },
      },
    },
    tags: [{ name: 'catalog' }],
  };
}

const merge = (services = [{ service: 'catalog', prefixes: ['/api/v1/catalog'], document: catalogDocument() }], missing: string[] = []) =>
  mergeOpenApiDocuments(gatewayDocument(), services, { missing, security: SECURITY });

/** Every `$ref` that does not resolve to a component of the document. */
function danglingRefs(document: OpenAPIObject): string[] {
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === '$ref' && typeof child === 'string') refs.push(child);
        else walk(child);
      }
    }
  };
  walk(document);
  return refs.filter((r) => {
    const [, , type, name] = r.split('/');
    return (document.components as Record<string, Record<string, unknown> | undefined>)[type!]?.[name!] === undefined;
  });
}

describe('mergeOpenApiDocuments', () => {
  it('adds the service’s paths under its prefixes, and only those', () => {
    const { document } = merge();
    expect(Object.keys(document.paths).sort()).toEqual(['/api/v1/catalog/products', '/api/v1/catalog/whoami', '/api/v1/identity/me', '/health']);
    expect(document.paths['/health']!.get!.operationId).toBe('SystemHealthController_system');
  });

  it('brings the components the paths use, transitively, and no others', () => {
    const { document } = merge();
    expect(Object.keys(document.components!.schemas!).sort()).toEqual(
      ['Catalog_MoneyDto', 'CreateProductDto', 'IdentityDto', 'MoneyDto', 'PageInfo', 'ProductDto', 'ProductPageDto'].sort(),
    );
    expect(danglingRefs(document)).toEqual([]);
    expect(document.components!.securitySchemes).toEqual(gatewayDocument().components!.securitySchemes);
  });

  it('never overwrites a different component of the same name: renames the service’s and rewrites its references', () => {
    const { document, conflicts } = merge();
    expect(document.components!.schemas!.MoneyDto).toEqual(gatewayDocument().components!.schemas!.MoneyDto);
    expect(document.components!.schemas!.Catalog_MoneyDto).toEqual({ type: 'object', properties: { yuan: { type: 'number' } } });
    expect(document.components!.schemas!.ProductDto).toEqual({ type: 'object', properties: { id: { type: 'string' }, price: ref('Catalog_MoneyDto') } });
    expect(conflicts).toEqual([{ kind: 'component_renamed', service: 'catalog', componentType: 'schemas', name: 'MoneyDto', renamedTo: 'Catalog_MoneyDto' }]);
  });

  it('renames a same-named component whose content only matches before a reference in it is renamed', () => {
    const catalog = catalogDocument();
    catalog.components!.schemas!.PageInfo = { type: 'object', properties: { next: { type: 'string' }, total: ref('MoneyDto') } };
    const gateway = gatewayDocument();
    gateway.components!.schemas!.PageInfo = { type: 'object', properties: { next: { type: 'string' }, total: ref('MoneyDto') } };
    const { document } = mergeOpenApiDocuments(gateway, [{ service: 'catalog', prefixes: ['/api/v1/catalog'], document: catalog }], { missing: [], security: SECURITY });
    expect(document.components!.schemas!.Catalog_PageInfo).toEqual({ type: 'object', properties: { next: { type: 'string' }, total: ref('Catalog_MoneyDto') } });
    expect(document.components!.schemas!.PageInfo).toEqual(gateway.components!.schemas!.PageInfo);
    expect(danglingRefs(document)).toEqual([]);
  });

  it('asks for the gateway’s credentials on every service operation and prefixes its operation ids', () => {
    const { document } = merge();
    const products = document.paths['/api/v1/catalog/products']!;
    expect(products.get).toMatchObject({ operationId: 'catalog_ProductsController_search', security: SECURITY });
    expect(products.post).toMatchObject({ operationId: 'catalog_ProductsController_create', security: SECURITY });
    expect(document.paths['/api/v1/identity/me']!.get!.security).toBeUndefined();
    expect(document.tags).toEqual([{ name: 'catalog' }]);
  });

  it('keeps the services’ operation ids apart', () => {
    const vault: OpenAPIObject = {
      openapi: '3.0.0',
      info: { title: 'Kami vault', version: '1' },
      paths: { '/api/v1/vault/whoami': { get: { operationId: 'WhoAmIController_whoami', responses: ok(ref('IdentityDto')) as never } } },
      components: { schemas: { IdentityDto: { type: 'object', properties: { organisationId: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } } } } } },
    };
    const { document } = merge([
      { service: 'catalog', prefixes: ['/api/v1/catalog'], document: catalogDocument() },
      { service: 'vault', prefixes: ['/api/v1/vault'], document: vault },
    ]);
    expect(document.paths['/api/v1/vault/whoami']!.get).toMatchObject({ operationId: 'vault_WhoAmIController_whoami', responses: ok(ref('Vault_IdentityDto')) });
    expect(document.paths['/api/v1/catalog/whoami']!.get).toMatchObject({ operationId: 'catalog_WhoAmIController_whoami', responses: ok(ref('IdentityDto')) });
    expect(danglingRefs(document)).toEqual([]);
  });

  it('keeps the gateway’s own path when a service documents the same one', () => {
    const catalog = catalogDocument();
    catalog.paths['/api/v1/catalog/products'] = { get: { operationId: 'x', responses: {} } };
    const gateway = gatewayDocument();
    gateway.paths['/api/v1/catalog/products'] = { get: { operationId: 'GatewayProducts', responses: {} } };
    const { document, conflicts } = mergeOpenApiDocuments(gateway, [{ service: 'catalog', prefixes: ['/api/v1/catalog'], document: catalog }], { missing: [], security: SECURITY });
    expect(document.paths['/api/v1/catalog/products']!.get!.operationId).toBe('GatewayProducts');
    expect(conflicts).toContainEqual({ kind: 'path_ignored', service: 'catalog', path: '/api/v1/catalog/products' });
  });

  it('names the missing services in an extension and the description', () => {
    const complete = merge().document as unknown as Record<string, unknown>;
    expect(complete[MISSING_SERVICES_EXTENSION]).toEqual([]);
    expect((complete.info as { description: string }).description).toBe('The public API.');

    const { document } = merge(undefined, ['vault', 'ordering']);
    expect((document as unknown as Record<string, unknown>)[MISSING_SERVICES_EXTENSION]).toEqual(['vault', 'ordering']);
    expect(document.info.description).toMatch(/^The public API\.\n\n.*the vault and ordering services are not answering/s);
  });

  it('leaves its inputs untouched', () => {
    const gateway = gatewayDocument();
    const catalog = catalogDocument();
    mergeOpenApiDocuments(gateway, [{ service: 'catalog', prefixes: ['/api/v1/catalog'], document: catalog }], { missing: ['vault'], security: SECURITY });
    expect(gateway).toEqual(gatewayDocument());
    expect(catalog).toEqual(catalogDocument());
  });
});

describe('isUnderPrefix', () => {
  it.each([
    ['/api/v1/catalog', true],
    ['/api/v1/catalog/products/{productId}', true],
    ['/api/v1/catalogue', false],
    ['/internal/openapi.json', false],
    ['/health/live', false],
  ])('%s → %s', (path, expected) => {
    expect(isUnderPrefix(path, ['/api/v1/catalog'])).toBe(expected);
  });
});

describe('isOpenApiDocument', () => {
  it('accepts a document and refuses what is not one', () => {
    expect(isOpenApiDocument(catalogDocument())).toBe(true);
    for (const bad of [null, 'text', [], {}, { openapi: '3.0.0' }, { openapi: '3.0.0', paths: [] }, { openapi: 3, paths: {} }, { openapi: '3.0.0', paths: {}, components: 'x' }]) {
      expect(isOpenApiDocument(bad)).toBe(false);
    }
  });
});
