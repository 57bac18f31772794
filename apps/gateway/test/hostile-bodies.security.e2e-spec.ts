import { randomUUID } from 'node:crypto';
import { eventually, startSystem, SYSTEM_SERVICES, type Account, type SystemHarness } from '@kami/testing';

/*
 * Every operation that takes a JSON body, read from the API document the gateway serves (so a
 * route added tomorrow is tried too), sent bodies that try to reach an object's prototype, as a
 * merchant, a supplier and an operator: every answer is a 4xx problem, and no table of any
 * service gains or loses a row.
 */

/** Keys that reach for an object's prototype, each added to an otherwise plausible body. */
const HOSTILE_KEYS = ['"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}', '"prototype":{"admin":true}'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI schema, walked as data
type Schema = any;

interface Operation {
  method: string;
  path: string;
  /** A body built from the operation's schema (its examples, else a value of each required field's type). */
  body: unknown;
}

/** A plausible value for a schema: its example, else the first enum value, else one of its type. */
function sample(schema: Schema, components: Record<string, Schema>, depth = 0): unknown {
  if (schema?.$ref) return sample(components[String(schema.$ref).split('/').pop()!], components, depth);
  if (!schema || depth > 6) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: Schema) => sample(s, components, depth + 1)));
  if (schema.oneOf || schema.anyOf) return sample((schema.oneOf ?? schema.anyOf)[0], components, depth + 1);
  switch (schema.type) {
    case 'object': {
      const body: Record<string, unknown> = {};
      for (const name of schema.required ?? []) body[name] = sample(schema.properties?.[name], components, depth + 1);
      return body;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, components, depth + 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      return schema.format === 'uuid' ? randomUUID() : schema.format === 'date-time' ? new Date().toISOString() : `x${randomUUID().slice(0, 8)}`;
    default:
      return {};
  }
}

describe('bodies that reach for the prototype, on every route', () => {
  let h: SystemHarness;
  let accounts: Account[];

  beforeAll(async () => {
    h = await startSystem({
      label: 'hostile_bodies',
      services: [...SYSTEM_SERVICES],
      limits: { RATE_LIMIT_PER_IP: 100_000, RATE_LIMIT_PER_API_KEY: 100_000 },
    });
    const operator = await h.bootstrapOperator();
    const merchant = await h.createAccount(operator.token, 'merchant', 'Hostile Shop');
    const supplier = await h.createAccount(operator.token, 'supplier', 'Hostile Supplier');
    accounts = [merchant, supplier, operator];
    // What registration sets off elsewhere has happened before the counts are taken: the supplier
    // in the catalog, the merchant's wallet in settlement, the supplier's deposit status in settlement
    // and then in the catalog.
    const settled = async (service: 'catalog' | 'settlement', sql: string, id: string, what: string): Promise<void> => {
      await eventually(() => h.service(service).query(sql, [id]), (rows) => rows.length > 0, { what });
    };
    await settled('catalog', `SELECT 1 FROM supplier WHERE id = $1`, supplier.organisationId, 'the supplier in the catalog');
    await settled('settlement', `SELECT 1 FROM ledger_account WHERE owner = $1 AND kind = 'merchant_wallet'`, merchant.organisationId, 'the merchant’s wallet');
    await settled('catalog', `SELECT 1 FROM supplier_deposit WHERE supplier_id = $1`, supplier.organisationId, 'the supplier’s deposit status in the catalog');
  }, 180_000);
  afterAll(() => h?.stop());

  /** Rows per table of every service's database and the gateway's. */
  async function rowCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const databases = [{ name: 'gateway', query: h.query.bind(h) }, ...SYSTEM_SERVICES.map((name) => ({ name, query: h.service(name).query.bind(h.service(name)) }))];
    for (const db of databases) {
      const tables = await db.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
      if (tables.length === 0) continue;
      const [row] = await db.query<Record<string, number>>(`SELECT ${tables.map(({ t }) => `(SELECT count(*)::int FROM ${t}) AS "${t.replace(/"/g, '')}"`).join(', ')}`);
      for (const [table, n] of Object.entries(row!)) counts[`${db.name}.${table}`] = n;
    }
    return counts;
  }

  it('answers each with a 4xx problem and changes nothing', async () => {
    const document = (await h.gateway.request('GET', '/api/docs/openapi.json')).body as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
      components: { schemas: Record<string, Schema> };
    };
    const operations: Operation[] = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method, op]) => ['post', 'put', 'patch'].includes(method) && op.requestBody?.content?.['application/json'] !== undefined)
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path: path.replace(/\{[^}]+\}/g, () => randomUUID()),
          body: sample(op.requestBody!.content!['application/json']!.schema, document.components.schemas),
        })),
    );
    // The creating routes of every service are among them.
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const before = await rowCounts();
    const unexpected: string[] = [];
    for (const operation of operations) {
      for (const account of accounts) {
        const plausible = JSON.stringify(operation.body ?? {});
        for (const key of HOSTILE_KEYS) {
          // Object bodies get the key beside their fields; a body of another shape is replaced by an object that has it.
          const rawJson = plausible.startsWith('{') ? `{${key}${plausible === '{}' ? '' : `,${plausible.slice(1, -1)}`}}` : `{${key}}`;
          const response = await h.gateway.request(operation.method, operation.path, { token: account.token, rawJson, headers: { 'idempotency-key': randomUUID() } });
          if (response.status < 400 || response.status >= 500 || !response.contentType.startsWith('application/problem+json')) {
            unexpected.push(`${operation.method} ${operation.path} as ${account.email}: ${response.status} ${response.text.slice(0, 120)}`);
          }
        }
      }
    }
    expect(unexpected).toEqual([]);
    expect(await rowCounts()).toEqual(before);
  }, 180_000);
});
