import { randomUUID } from 'node:crypto';
import { eventually, startSystem, type Account, type ApiResponse, type SystemHarness } from '@kami/testing';

/*
 * A leaked storefront key must not be its organisation. Keys carry scopes chosen when they are
 * made (a new key gets the least a storefront needs), the gateway refuses what a key's scopes do
 * not cover, endpoints that receive plaintext codes are set up by admin users only, endpoints a key
 * created stop when it is revoked, and money-moving routes need a user's admin role.
 */

const STOREFRONT_DEFAULTS = ['catalog:read', 'orders:read', 'orders:write', 'codes:read', 'stock:read', 'stock:pull'];

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

describe('API key scopes', () => {
  let h: SystemHarness;
  let operator: Account;
  let merchant: Account;
  let supplier: Account;

  beforeAll(async () => {
    h = await startSystem({
      label: 'key_scopes',
      services: ['catalog', 'delivery', 'settlement'],
      serviceEnv: { delivery: { WEBHOOK_ALLOW_PRIVATE_URLS: 'true' } },
    });
    operator = await h.bootstrapOperator();
    merchant = await h.createAccount(operator.token, 'merchant', 'Scoped Shop');
    supplier = await h.createAccount(operator.token, 'supplier', 'Scoped Supplier');
  });
  afterAll(() => h?.stop());

  const createKey = (account: Account, scopes?: string[]): Promise<ApiResponse> =>
    h.gateway.request('POST', '/api/v1/identity/api-keys', { token: account.token, json: { name: `key ${randomUUID().slice(0, 8)}`, ...(scopes ? { scopes } : {}) } });
  const listKeys = async (account: Account): Promise<{ id: string; scopes: string[] }[]> =>
    (await h.gateway.request('GET', '/api/v1/identity/api-keys', { token: account.token })).body.items;
  const endpoint = (includeCodes: boolean): unknown => ({ url: `http://127.0.0.1:9/hooks/${randomUUID()}`, events: ['order.delivered'], includeCodes });

  it('gives a new key the least a storefront needs, and shows its scopes when made and when listed', async () => {
    const created = await createKey(merchant);
    expect(created.status).toBe(201);
    expect(created.body.scopes).toEqual(STOREFRONT_DEFAULTS);
    expect((await listKeys(merchant)).find((k) => k.id === created.body.id)?.scopes).toEqual(STOREFRONT_DEFAULTS);
  });

  it('refuses scopes the organisation type cannot hold and names that do not exist, storing no key', async () => {
    const before = (await listKeys(supplier)).length;
    const tooMuch = await createKey(supplier, ['batches:write', 'orders:write']);
    expectProblem(tooMuch, 422, 'api_key_scopes_not_allowed');
    expect(tooMuch.body.scopes).toEqual(['orders:write']);
    expectProblem(await createKey(merchant, ['everything']), 400, 'validation_failed');
    expectProblem(await createKey(merchant, []), 400, 'validation_failed');
    expect((await listKeys(supplier)).length).toBe(before);
  });

  it('lets a storefront key read the catalog but not manage webhooks, top up, read the wallet or refund', async () => {
    const key = (await createKey(merchant)).body.key as string;
    expect((await h.gateway.request('GET', '/api/v1/catalog/products', { apiKey: key })).status).toBe(200);
    const webhooks = await h.gateway.request('POST', '/api/v1/webhooks/endpoints', { apiKey: key, json: endpoint(false) });
    expectProblem(webhooks, 403, 'api_key_scope_missing');
    expect(webhooks.body.requiredScopes).toEqual(['webhooks:manage']);
    expectProblem(await h.gateway.request('POST', '/api/v1/settlement/topups', { apiKey: key, json: { amount: 100, currency: 'CNY', channel: 'standard' }, headers: { 'idempotency-key': randomUUID() } }), 403, 'api_key_scope_missing');
    expectProblem(await h.gateway.request('GET', '/api/v1/settlement/wallet', { apiKey: key }), 403, 'api_key_scope_missing');
    expectProblem(await h.gateway.request('POST', '/api/v1/settlement/refunds', { apiKey: key, json: {}, headers: { 'idempotency-key': randomUUID() } }), 403, 'api_key_route_forbidden');
    // A key with the scope gets through to the service.
    const walletKey = (await createKey(merchant, ['wallet:read'])).body.key as string;
    expect((await h.gateway.request('GET', '/api/v1/settlement/wallet', { apiKey: walletKey })).status).toBe(200);
    expect((await h.service('delivery').query(`SELECT count(*)::int AS n FROM webhook_endpoint`))[0]).toEqual({ n: 0 });
  });

  it('never lets a key set up, repoint or delete an endpoint that receives codes; an admin user can set one up', async () => {
    const key = (await createKey(merchant, ['webhooks:manage'])).body.key as string;
    expectProblem(await h.gateway.request('POST', '/api/v1/webhooks/endpoints', { apiKey: key, json: endpoint(true) }), 403, 'webhook_codes_need_an_admin');
    const plain = await h.gateway.request('POST', '/api/v1/webhooks/endpoints', { apiKey: key, json: endpoint(false) });
    expect(plain.status).toBe(201);
    expectProblem(await h.gateway.request('PATCH', `/api/v1/webhooks/endpoints/${plain.body.id}`, { apiKey: key, json: { includeCodes: true } }), 403, 'webhook_codes_need_an_admin');

    const withCodes = await h.gateway.request('POST', '/api/v1/webhooks/endpoints', { token: merchant.token, json: endpoint(true) });
    expect(withCodes.status).toBe(201);
    expect(withCodes.body.includeCodes).toBe(true);
    const repoint = await h.gateway.request('PATCH', `/api/v1/webhooks/endpoints/${withCodes.body.id}`, { apiKey: key, json: { url: 'http://127.0.0.1:9/attacker' } });
    expectProblem(repoint, 403, 'webhook_codes_need_an_admin');
    expectProblem(await h.gateway.request('POST', `/api/v1/webhooks/endpoints/${withCodes.body.id}/rotate-secret`, { apiKey: key }), 403, 'webhook_codes_need_an_admin');
    expectProblem(await h.gateway.request('DELETE', `/api/v1/webhooks/endpoints/${withCodes.body.id}`, { apiKey: key }), 403, 'webhook_codes_need_an_admin');
    const stored = await h.gateway.request('GET', `/api/v1/webhooks/endpoints/${withCodes.body.id}`, { token: merchant.token });
    expect({ url: stored.body.url, includeCodes: stored.body.includeCodes }).toEqual({ url: withCodes.body.url, includeCodes: true });
  });

  it('turns off the endpoints a key created once the key is revoked, and leaves the others alone', async () => {
    const made = (await createKey(merchant, ['webhooks:manage'])).body;
    const byKey = (await h.gateway.request('POST', '/api/v1/webhooks/endpoints', { apiKey: made.key, json: endpoint(false) })).body;
    const byUser = (await h.gateway.request('POST', '/api/v1/webhooks/endpoints', { token: merchant.token, json: endpoint(false) })).body;
    expect(byKey.enabled).toBe(true);
    expect((await h.gateway.request('DELETE', `/api/v1/identity/api-keys/${made.id}`, { token: merchant.token })).status).toBe(200);
    expectProblem(await h.gateway.request('GET', '/api/v1/webhooks/endpoints', { apiKey: made.key }), 401, 'invalid_api_key');
    const enabled = async (id: string): Promise<boolean> => (await h.gateway.request('GET', `/api/v1/webhooks/endpoints/${id}`, { token: merchant.token })).body.enabled;
    await eventually(() => enabled(byKey.id), (on) => on === false, { what: 'the revoked key’s endpoint to be turned off' });
    expect(await enabled(byUser.id)).toBe(true);
  });

  it('keeps money-moving routes to admin users: a member cannot top up, an admin can', async () => {
    const email = `member-${randomUUID().slice(0, 8)}@test.kami`;
    await h.query(
      `INSERT INTO app_user (id, organisation_id, email, password_hash, roles) SELECT $1, organisation_id, $2, password_hash, '{member}' FROM app_user WHERE email = $3`,
      [randomUUID(), email, merchant.email],
    );
    const member = await h.loginToken(email, merchant.password);
    const topup = (token: string): Promise<ApiResponse> =>
      h.gateway.request('POST', '/api/v1/settlement/topups', { token, json: { amount: 10_000, currency: 'CNY', channel: 'standard' }, headers: { 'idempotency-key': randomUUID() } });
    expectProblem(await topup(member), 403, 'forbidden_role');
    expect((await topup(merchant.token)).status).toBe(201);
  });
});
