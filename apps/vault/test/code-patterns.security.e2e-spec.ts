import { randomUUID } from 'node:crypto';
import { startSystem, type Account, type ApiResponse, type JsonBody, type SystemHarness } from '@kami/testing';
import { seedOffer } from './support/vault-fixtures';

/*
 * A product's code pattern is supplier input that the vault runs on every uploaded line: it runs
 * in linear time whatever it is (RE2), and the whole-value match cannot be escaped by the pattern.
 * Through the real gateway and vault. No timing is asserted: a pattern that stalled the vault
 * would hang the upload until jest's timeout fails the test.
 */

let h: SystemHarness;
let supplier: Account;

function api(method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  return h.gateway.request(method, `/api/v1/vault${path}`, { token: supplier.token, json, headers });
}

async function offerWithPattern(codePattern: string): Promise<string> {
  return (await seedOffer(h.service('vault'), { supplierId: supplier.organisationId, codePattern })).offerId;
}

async function uploadCsv(offerId: string, csv: string): Promise<ApiResponse> {
  const created = await api('POST', '/batches', { offerId, source: 'csv', fileName: 'codes.csv' }, { 'idempotency-key': randomUUID() });
  if (created.status !== 201) return created;
  const response = await fetch(`${h.gateway.url}/api/v1/vault/batches/${created.body.id}/content`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${supplier.token}`, 'content-type': 'text/csv', accept: 'application/json' },
    body: csv,
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, headers: response.headers, contentType: type, body: /json/.test(type) && text ? (JSON.parse(text) as JsonBody) : undefined, text };
}

beforeAll(async () => {
  h = await startSystem({ label: 'code-patterns', services: ['vault'], limits: { RATE_LIMIT_PER_IP: 100_000 } });
  const operator = await h.bootstrapOperator();
  supplier = await h.createAccount(operator.token, 'supplier');
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

describe('code patterns on upload', () => {
  it('answers every line of a pathological pattern (catastrophic backtracking in a backtracking engine)', async () => {
    const offerId = await offerWithPattern('([A-Z0-9]+)+-X');
    const fortyCharacters = 'A1B2C3D4E5F6G7H8J9K0L1M2N3P4Q5R6S7T8U9V0';
    expect(fortyCharacters).toHaveLength(40);
    const response = await uploadCsv(offerId, `code\n${fortyCharacters}\n${fortyCharacters.slice(0, 20)}-X\n`);
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ status: 'completed', linesReceived: 2, accepted: 1, refused: { bad_format: 1 } });
    const refusals = await api('GET', `/batches/${response.body.id}/refusals`);
    // The header row is line 1.
    expect(refusals.body.items).toEqual([{ line: 2, reason: 'bad_format', field: 'code' }]);
  });

  it('matches the whole value: a pattern cannot close the anchoring group and match everything', async () => {
    // Today's `^(?:${pattern})$` would read this as `^(?:x)|(?:)$`: anything starting with x, or anything at all.
    const offerId = await offerWithPattern('x)|(?:');
    const inline = await api('POST', '/batches', { offerId, codes: [{ code: 'ANYTHING-AT-ALL' }, { code: 'xylophone' }] }, { 'idempotency-key': randomUUID() });
    expect({ status: inline.status, code: inline.body?.code }).toEqual({ status: 409, code: 'code_format_unsupported' });
    expect(inline.contentType).toMatch(/^application\/problem\+json/);
    expect(await uploadCsv(offerId, 'code\nANYTHING-AT-ALL\n')).toMatchObject({ status: 409, body: { code: 'code_format_unsupported' } });
    expect(await h.service('vault').query(`SELECT id FROM batch WHERE offer_id = $1`, [offerId])).toEqual([]);
  });

  it('keeps unicode patterns written the JavaScript way working', async () => {
    const offerId = await offerWithPattern('\\p{Script=Han}{2}\\u002D\\u{1F600}?\\d{4}');
    const batch = await api('POST', '/batches', { offerId, codes: [{ code: '卡密-😀2046' }, { code: 'AB-1234' }] }, { 'idempotency-key': randomUUID() });
    expect(batch.status).toBe(201);
    expect(batch.body).toMatchObject({ status: 'completed', accepted: 1, refused: { bad_format: 1 } });
  });
});
