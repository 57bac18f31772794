import fc from 'fast-check';
import { exampleVariedArbitrary, schemaArbitrary, type Schema } from './schema-arbitrary';

/** One operation of the OpenAPI document, as the fuzzer needs it. */
export interface FuzzOperation {
  /** `POST /api/v1/catalog/brands`: how reports and `--operation` name it. */
  id: string;
  method: string;
  /** The path template, e.g. `/api/v1/catalog/offers/{offerId}`. */
  path: string;
  pathParameters: { name: string; schema: Schema }[];
  queryParameters: { name: string; required: boolean; schema: Schema }[];
  /** The JSON body's schema, when the operation takes one. */
  body?: Schema;
}

/** A request as it goes on the wire (the account's credential is added when it is sent). */
export interface FuzzRequest {
  /** What was done to it: `valid`, `body-field`, `body-shape`, `raw-body`, `path`, `query`, `content-type`. */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the OpenAPI document, walked as data
type OpenApiDocument = any;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document (the public API the gateway serves). */
export function operationsOf(document: OpenApiDocument): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries<Record<string, OpenApiDocument>>(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters: OpenApiDocument[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => (p.$ref ? resolve(document, p.$ref) : p));
      operations.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParameters: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema ?? { type: 'string' } })),
        queryParameters: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? { type: 'string' } })),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

function resolve(document: OpenApiDocument, ref: string): OpenApiDocument {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node, key) => node?.[key], document);
}

/** Values no field expects: wrong types, edges of number and string, NUL bytes, markup, huge strings. */
export const HOSTILE_VALUES: readonly unknown[] = [
  null,
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x'.repeat(100_000),
  '💥'.repeat(2_000),
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '=HYPERLINK("http://evil.example")',
  '\ud800',
  1e308,
  -1e308,
  5e-324,
  -1,
  0,
  2 ** 53 + 1,
  1.5,
  true,
  [],
  [[[]]],
  {},
  { $gt: '' },
  ['a', 1, null],
];

/** Keys that reach for an object's prototype. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** A JSON text `levels` objects deep: `{"a":{"a":…1…}}`. */
export function deeplyNested(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** Bodies that are not JSON, or not the JSON anyone meant. */
const BROKEN_BODIES: readonly string[] = [
  '',
  '{',
  '{"a":',
  '[1,2,',
  '{"a":1,}',
  'nul',
  'undefined',
  "{'a':1}",
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '1e999999',
  '"\\ud800"',
  '{"a":"\\u0000"}',
  '{"a":1,"a":{"b":2}}',
  deeplyNested(2_000),
  `[${'['.repeat(5_000)}${']'.repeat(5_000)}]`,
];

const HOSTILE_PATH_SEGMENTS: readonly string[] = [
  'not-a-uuid',
  '0',
  '-1',
  '1e308',
  'null',
  '%00',
  '%2e%2e',
  '%252e%252e%252f',
  '..%2F..%2Fetc%2Fpasswd',
  encodeURIComponent('💥'),
  'x'.repeat(5_000),
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '123e4567-e89b-12d3-a456-4266141740000',
];

const HOSTILE_QUERY_VALUES: readonly string[] = ['', '-1', '0', '1e308', 'NaN', 'true', 'x'.repeat(10_000), '%00', 'a\u0000b', '[]', '{}', 'null', "'", '2020-13-45'];

const CONTENT_TYPES: readonly string[] = ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/xml'];

const bodyless = (method: string): boolean => method === 'GET' || method === 'DELETE';

/**
 * Requests for an operation: valid ones from its schemas, and mutations of them, one thing broken
 * at a time (a body field, the body's shape, the JSON itself, a path or query parameter, the
 * content type). `ids` are real resources' ids, used for path parameters half of the time so that
 * requests get past "not found" into the handlers.
 */
export function requestArbitrary(operation: FuzzOperation, components: Record<string, Schema>, ids: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const pathValue = ids.length > 0 ? fc.oneof(fc.constantFrom(...ids), fc.uuid()) : fc.uuid();
  const pathArb = fc.tuple(...operation.pathParameters.map(() => pathValue)).map((values) => fillPath(operation, values));
  const queryArb = fc
    .tuple(...operation.queryParameters.map((p) => (p.required ? schemaArbitrary(p.schema, components) : fc.option(schemaArbitrary(p.schema, components), { nil: undefined }))))
    .map((values) => queryString(operation.queryParameters.map((p, i) => [p.name, values[i]])));
  // Half generated from the schema, half the document's example with one field generated.
  const bodyArb: fc.Arbitrary<unknown> = operation.body ? fc.oneof(schemaArbitrary(operation.body, components), exampleVariedArbitrary(operation.body, components)) : fc.constant(undefined);
  const valid = fc.record({ path: pathArb, query: queryArb, body: bodyArb });

  const json = (method: string, path: string, body: string | undefined, kind: string, contentType = 'application/json'): FuzzRequest => ({
    kind,
    method,
    path,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body,
  });
  const encode = (body: unknown): string | undefined => (body === undefined ? undefined : JSON.stringify(body));

  const variants: fc.Arbitrary<FuzzRequest>[] = [
    valid.map((r) => json(operation.method, r.path + r.query, encode(r.body), 'valid')),
    // A path parameter of the wrong kind.
    ...(operation.pathParameters.length > 0
      ? [
          fc
            .record({ r: valid, which: fc.nat(operation.pathParameters.length - 1), segment: fc.constantFrom(...HOSTILE_PATH_SEGMENTS) })
            .map(({ r, which, segment }) => json(operation.method, replacePathParameter(operation, r.path, which, segment) + r.query, encode(r.body), 'path')),
        ]
      : []),
    // Query parameters of every wrong kind: a declared one with a hostile value, repeated, nested, or unknown.
    fc
      .record({ r: valid, name: fc.constantFrom(...operation.queryParameters.map((p) => p.name), 'unknown'), value: fc.constantFrom(...HOSTILE_QUERY_VALUES), form: fc.constantFrom('plain', 'repeated', 'nested') })
      .map(({ r, name, value, form }) => {
        const encoded = encodeURIComponent(value);
        const extra = form === 'plain' ? `${name}=${encoded}` : form === 'repeated' ? `${name}=${encoded}&${name}=1` : `${name}[a][b]=${encoded}`;
        return json(operation.method, `${r.path}${r.query ? `${r.query}&` : '?'}${extra}`, encode(r.body), 'query');
      }),
  ];
  if (!bodyless(operation.method)) {
    variants.push(
      // One field of a valid body broken: a hostile value, removed, or a prototype key beside it.
      fc
        .record({ r: valid, pick: fc.nat(), value: fc.constantFrom(...HOSTILE_VALUES), action: fc.constantFrom('replace', 'remove', 'prototype', 'unknown') })
        .map(({ r, pick, value, action }) => json(operation.method, r.path + r.query, mutateField(r.body, pick, value, action), 'body-field')),
      // A body of the wrong shape altogether.
      fc
        .record({ r: valid, body: fc.oneof(fc.constantFrom(...HOSTILE_VALUES), fc.jsonValue({ maxDepth: 4 })) })
        .map(({ r, body }) => json(operation.method, r.path + r.query, JSON.stringify(body) ?? 'null', 'body-shape')),
      // JSON that is broken, ambiguous or nested past any sense.
      fc.record({ r: valid, body: fc.constantFrom(...BROKEN_BODIES) }).map(({ r, body }) => json(operation.method, r.path + r.query, body, 'raw-body')),
      // A valid body under another content type.
      fc
        .record({ r: valid, type: fc.constantFrom(...CONTENT_TYPES) })
        .map(({ r, type }) => json(operation.method, r.path + r.query, encode(r.body) ?? '{}', 'content-type', type)),
    );
  }
  // Valid requests reach the handlers (where the 5xx hide); each kind of breakage has its share too.
  return fc.oneof({ weight: variants.length, arbitrary: variants[0]! }, ...variants.slice(1).map((arbitrary) => ({ weight: 1, arbitrary })));
}

function fillPath(operation: FuzzOperation, values: string[]): string {
  let i = 0;
  return operation.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(values[i++] ?? ''));
}

function replacePathParameter(operation: FuzzOperation, filled: string, which: number, segment: string): string {
  // Rebuild from the template: the n-th parameter takes the hostile segment (already URL-encoded as wanted).
  const filledSegments = filled.split('/');
  const templateSegments = operation.path.split('/');
  let seen = -1;
  return templateSegments
    .map((segment_, i) => {
      if (!/^\{[^}]+\}$/.test(segment_)) return filledSegments[i];
      seen += 1;
      return seen === which ? segment : filledSegments[i];
    })
    .join('/');
}

function queryString(pairs: [string, unknown][]): string {
  const parts = pairs.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' ? JSON.stringify(v) : String(v))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Every path to a value inside a JSON value (the root included). */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => paths.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
  return paths;
}

/** The body with the field at one of its paths broken; returned as JSON text (prototype keys cannot survive JSON.stringify otherwise). */
function mutateField(body: unknown, pick: number, value: unknown, action: string): string {
  const root = body === undefined ? {} : structuredClone(body);
  const paths = pathsOf(root);
  const path = paths[pick % paths.length]!;
  if (action === 'prototype' || action === 'unknown') {
    const key = action === 'prototype' ? PROTOTYPE_KEYS[pick % PROTOTYPE_KEYS.length]! : 'unexpectedField';
    const marker = '"__fuzz_marker__"';
    const target = path.length === 0 ? root : path.reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], root);
    if (target && typeof target === 'object' && !Array.isArray(target)) {
      (target as Record<string, unknown>)['__fuzz_marker__'] = value;
      return JSON.stringify(root).replace(marker, JSON.stringify(key));
    }
    return JSON.stringify({ [key]: value });
  }
  if (path.length === 0) return action === 'remove' ? '{}' : JSON.stringify(value);
  const parent = path.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (action === 'remove') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    parent[last] = value;
  }
  return JSON.stringify(root);
}
