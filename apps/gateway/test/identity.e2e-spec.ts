import { randomBytes, randomUUID, scryptSync } from 'node:crypto';
import http from 'node:http';
import { eventually, generateSigningKeyPair, signIdentityHeader, signJwt, startSystem, TEST_PASSWORD_HASH_COST, type Account, type ApiResponse, type JsonBody, type SystemHarness } from '@kami/testing';

/*
 * Identity through the real gateway (and the real catalog behind it), over HTTP, as a client sees it.
 * The main gateway has roomy limits; the `strict` instance (same database) has tiny ones for the 429 tests.
 */

const STRICT = { RATE_LIMIT_PER_API_KEY: 5, RATE_LIMIT_LOGIN_PER_IP: 3, RATE_LIMIT_WINDOW_SECONDS: 60 };
const API_KEY_SHAPE = /^(kami_[0-9a-f]{12})_([A-Za-z0-9_-]{20,})$/;

let h: SystemHarness;
let operator: Account;
let merchant: Account;
let supplier: Account;

beforeAll(async () => {
  h = await startSystem({
    label: 'identity',
    limits: { RATE_LIMIT_PER_IP: 10_000, RATE_LIMIT_PER_API_KEY: 10_000, RATE_LIMIT_LOGIN_PER_IP: 10_000 },
    extraGateways: { strict: STRICT },
  });
  operator = await h.bootstrapOperator();
  [merchant, supplier] = await Promise.all([h.createAccount(operator.token, 'merchant'), h.createAccount(operator.token, 'supplier')]);
}, 90_000);

afterAll(async () => {
  await h?.stop();
});

/** A problem+json answer with this status and stable code. */
function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
}

async function createApiKey(account: Account, name = 'storefront'): Promise<{ id: string; key: string; prefix: string }> {
  const response = await h.gateway.request('POST', '/api/v1/identity/api-keys', { token: account.token, json: { name } });
  expect(response.status).toBe(201);
  return response.body;
}

/** A POST whose request line carries an absolute URL (`POST http://host/path HTTP/1.1`), as sent to proxies. */
function postAbsoluteForm(baseUrl: string, path: string, json: unknown): Promise<{ status: number; body: JsonBody }> {
  const { hostname, port } = new URL(baseUrl);
  const payload = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: hostname, port, method: 'POST', path: `http://kami.example${path}`, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

const countRows = async (table: 'organisation' | 'app_user'): Promise<number> =>
  Number((await h.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

describe('sessions', () => {
  it('logs in with email and password, and the token says who you are', async () => {
    const login = await h.login(merchant.email, merchant.password);
    expect(login.status).toBe(201);
    expect(login.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });

    const me = await h.gateway.request('GET', '/api/v1/identity/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      organisationId: merchant.organisationId,
      organisationType: 'merchant',
      principalType: 'user',
      principalId: expect.any(String),
      roles: ['admin'],
    });
    const organisation = await h.gateway.request('GET', '/api/v1/identity/organisation', { token: login.body.accessToken });
    expect(organisation.body).toMatchObject({ id: merchant.organisationId, type: 'merchant' });
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const wrongPassword = await h.login(merchant.email, `${merchant.password}-wrong`);
    const unknownEmail = await h.login(`nobody-${randomUUID()}@test.kami`, merchant.password);
    expectProblem(wrongPassword, 401, 'invalid_credentials');
    expectProblem(unknownEmail, 401, 'invalid_credentials');
    const withoutRequestId = ({ requestId, ...rest }: Record<string, unknown>): Record<string, unknown> => {
      expect(requestId).toEqual(expect.any(String));
      return rest;
    };
    expect(withoutRequestId(wrongPassword.body)).toEqual(withoutRequestId(unknownEmail.body));
    expect(wrongPassword.body.detail).toEqual(expect.any(String));
  });

  it('refuses requests without credentials', async () => {
    expectProblem(await h.gateway.request('GET', '/api/v1/identity/me'), 401, 'unauthenticated');
    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami'), 401, 'unauthenticated');
  });

  it('refuses expired, foreign and garbage session tokens with session_expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: randomUUID(), org: merchant.organisationId, orgType: 'merchant', roles: ['admin'], aud: 'kami-portal', iss: 'kami-gateway' };
    // Control: the same claims, unexpired and signed with the gateway's secret, are accepted.
    const valid = signJwt({ ...claims, iat: now, exp: now + 300 }, h.secrets.jwt);
    expect((await h.gateway.request('GET', '/api/v1/identity/me', { token: valid })).status).toBe(200);

    const badTokens = {
      expired: signJwt({ ...claims, iat: now - 1000, exp: now - 100 }, h.secrets.jwt),
      foreignSecret: signJwt({ ...claims, iat: now, exp: now + 300 }, 'not-the-gateway-secret-0123456789abcdef'),
      algNone: `${signJwt({ ...claims, iat: now, exp: now + 300 }, h.secrets.jwt, { alg: 'none', typ: 'JWT' }).split('.').slice(0, 2).join('.')}.`,
      wrongAudience: signJwt({ ...claims, aud: 'someone-else', iat: now, exp: now + 300 }, h.secrets.jwt),
      garbage: 'this-is-not-a-token',
    };
    for (const [kind, token] of Object.entries(badTokens)) {
      const me = await h.gateway.request('GET', '/api/v1/identity/me', { token });
      expect({ kind, status: me.status, code: me.body?.code }).toEqual({ kind, status: 401, code: 'session_expired' });
    }
    // The same on a route the gateway forwards.
    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami', { token: badTokens.expired }), 401, 'session_expired');
  });

  const payloadOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  const refresh = (credentials: { token: string } | { apiKey: string }): Promise<ApiResponse> =>
    h.gateway.request('POST', '/api/v1/identity/sessions/refresh', credentials);

  it('refreshes a session: a fresh token for the same user, keeping the login time; API keys and expired tokens cannot', async () => {
    const login = await h.login(merchant.email, merchant.password);
    const first = payloadOf(login.body.accessToken);
    expect(first.auth_time).toBe(first.iat);

    const refreshed = await refresh({ token: login.body.accessToken });
    expect(refreshed.status).toBe(201);
    expect(refreshed.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    expect(payloadOf(refreshed.body.accessToken)).toMatchObject({ sub: first.sub, org: merchant.organisationId, auth_time: first.auth_time });
    const me = await h.gateway.request('GET', '/api/v1/identity/me', { token: refreshed.body.accessToken });
    expect(me.body).toMatchObject({ organisationId: merchant.organisationId, principalId: first.sub, principalType: 'user' });

    expectProblem(await refresh({ apiKey: (await createApiKey(merchant)).key }), 403, 'forbidden_for_api_keys');
    const now = Math.floor(Date.now() / 1000);
    const expired = signJwt({ ...first, iat: now - 1000, exp: now - 100 }, h.secrets.jwt);
    expectProblem(await refresh({ token: expired }), 401, 'session_expired');
    expectProblem(await h.gateway.request('POST', '/api/v1/identity/sessions/refresh'), 401, 'unauthenticated');
  });

  it('ends a session at its maximum age from the login, whatever the refreshes, and when its user is gone', async () => {
    const login = await h.login(merchant.email, merchant.password);
    const claims = payloadOf(login.body.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const withLoginAt = (authTime: number, sub = claims.sub): string =>
      signJwt({ ...claims, sub, auth_time: authTime, iat: now - 60, exp: now + 300 }, h.secrets.jwt);
    const maxAge = 12 * 3600;

    // 100 s before the maximum age: refreshed, but the new token ends with the session.
    const nearTheEnd = await refresh({ token: withLoginAt(now - maxAge + 100) });
    expect(nearTheEnd.status).toBe(201);
    expect(nearTheEnd.body.expiresIn).toBeGreaterThan(90);
    expect(nearTheEnd.body.expiresIn).toBeLessThanOrEqual(100);
    expect(payloadOf(nearTheEnd.body.accessToken).exp).toBe(now + 100);

    // Past it, a token (even one not expired itself) is neither renewed nor accepted.
    const tooOld = withLoginAt(now - maxAge - 1);
    expectProblem(await refresh({ token: tooOld }), 401, 'session_expired');
    expectProblem(await h.gateway.request('GET', '/api/v1/identity/me', { token: tooOld }), 401, 'session_expired');

    // A token of a user that does not exist (removed) is not renewed either.
    expectProblem(await refresh({ token: withLoginAt(now, randomUUID()) }), 401, 'session_expired');
  });

  it('logs out: the session\'s tokens (the current one and those it was renewed from) are refused from then on, other sessions go on', async () => {
    const first = (await h.login(merchant.email, merchant.password)).body.accessToken as string;
    const other = (await h.login(merchant.email, merchant.password)).body.accessToken as string;
    const renewed = await h.gateway.request('POST', '/api/v1/identity/sessions/refresh', { token: first });
    expect(renewed.status).toBe(201);
    const current = renewed.body.accessToken as string;

    const logout = await h.gateway.request('POST', '/api/v1/identity/sessions/logout', { token: current });
    expect(logout.status).toBe(204);
    for (const token of [current, first]) {
      expectProblem(await h.gateway.request('GET', '/api/v1/identity/me', { token }), 401, 'session_expired');
      expectProblem(await h.gateway.request('POST', '/api/v1/identity/sessions/refresh', { token }), 401, 'session_expired');
      // Proxied routes too: the gateway does not forward an identity for it.
      expectProblem(await h.gateway.request('GET', '/api/v1/catalog/categories', { token }), 401, 'session_expired');
    }
    // An ended session's token cannot log out again; the other login is untouched.
    expectProblem(await h.gateway.request('POST', '/api/v1/identity/sessions/logout', { token: first }), 401, 'session_expired');
    expect((await h.gateway.request('GET', '/api/v1/identity/me', { token: other })).status).toBe(200);
    // API keys have no session to end (they are revoked instead); no token is 401.
    const key = await createApiKey(merchant, 'logout-probe');
    expectProblem(await h.gateway.request('POST', '/api/v1/identity/sessions/logout', { apiKey: key.key }), 403, 'forbidden_for_api_keys');
    expect((await h.gateway.request('POST', '/api/v1/identity/sessions/logout')).status).toBe(401);
  });

  it('rehashes a password stored with older scrypt parameters at its next successful login, and only then', async () => {
    const account = await h.createAccount(operator.token, 'merchant');
    const storedHash = async (): Promise<string> =>
      (await h.query<{ password_hash: string }>(`SELECT password_hash FROM app_user WHERE lower(email) = lower($1)`, [account.email]))[0]!.password_hash;
    // As a gateway with a lower cost than this one's (TEST_PASSWORD_HASH_COST) stored it.
    const salt = randomBytes(16);
    const oldN = 2 ** (TEST_PASSWORD_HASH_COST - 1);
    const oldHash = ['scrypt', oldN, 8, 1, salt.toString('base64url'), scryptSync(account.password, salt, 32, { N: oldN, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }).toString('base64url')].join('$');
    await h.query(`UPDATE app_user SET password_hash = $1 WHERE lower(email) = lower($2)`, [oldHash, account.email]);

    expectProblem(await h.login(account.email, `${account.password}-wrong`), 401, 'invalid_credentials');
    expect(await storedHash()).toBe(oldHash);
    expect((await h.login(account.email, account.password)).status).toBe(201);
    const rehashed = await storedHash();
    expect(rehashed).toMatch(new RegExp(`^scrypt\\$${2 ** TEST_PASSWORD_HASH_COST}\\$8\\$1\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    expect((await h.login(account.email, account.password)).status).toBe(201);
    expect(await storedHash()).toBe(rehashed);
  });
});

describe('API keys', () => {
  it('are shown once, listed by prefix only, work as X-Api-Key and Bearer, and stop at once when revoked', async () => {
    const created = await h.gateway.request('POST', '/api/v1/identity/api-keys', { token: merchant.token, json: { name: 'Taobao storefront' } });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    const [, prefix, keySecret] = API_KEY_SHAPE.exec(key) ?? [];
    expect(prefix).toBeDefined();
    expect(created.body).toMatchObject({ id: expect.any(String), name: 'Taobao storefront', prefix, revokedAt: null });

    const list = await h.gateway.request('GET', '/api/v1/identity/api-keys', { token: merchant.token });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((item: { id: string }) => item.id === created.body.id);
    expect(listed).toEqual({ id: created.body.id, name: 'Taobao storefront', prefix, scopes: created.body.scopes, createdAt: expect.any(String), lastUsedAt: null, revokedAt: null });
    expect(list.text).not.toContain(keySecret!);
    expect(list.body.items.every((item: Record<string, unknown>) => !('key' in item) && !('secretHash' in item))).toBe(true);

    const expected = { organisationId: merchant.organisationId, organisationType: 'merchant', principalType: 'api_key', principalId: created.body.id, roles: ['member'] };
    const viaHeader = await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: key });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body).toEqual(expected);
    const viaBearer = await h.gateway.request('GET', '/api/v1/catalog/whoami', { token: key });
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.body).toEqual(expected);

    // Its last use shows (to the minute), recorded off the request path.
    const lastUsed = async (): Promise<string | null> =>
      (await h.gateway.request('GET', '/api/v1/identity/api-keys', { token: merchant.token })).body.items.find((item: { id: string }) => item.id === created.body.id).lastUsedAt;
    const used = await eventually(lastUsed, (at) => at !== null, { what: 'the key’s last use recorded' });
    expect(Date.parse(used!)).toBeGreaterThan(Date.parse(listed.createdAt) - 1000);

    const revoked = await h.gateway.request('DELETE', `/api/v1/identity/api-keys/${created.body.id}`, { token: merchant.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.body.id, prefix, revokedAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(revoked.body.revokedAt))).toBe(false);

    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: key }), 401, 'invalid_api_key');
    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami', { token: key }), 401, 'invalid_api_key');
    expectProblem(await h.gateway.request('GET', '/api/v1/identity/me', { apiKey: key }), 401, 'invalid_api_key');
  });

  it('refuses a known prefix with the wrong secret, and a malformed key', async () => {
    const { key, prefix } = await createApiKey(merchant);
    const wrongSecret = `${prefix}_${'A'.repeat(43)}`;
    expect(wrongSecret).not.toBe(key);
    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: wrongSecret }), 401, 'invalid_api_key');
    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: 'kami_not-a-key' }), 401, 'invalid_api_key');
    expect((await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: key })).status).toBe(200);
  });

  it('cannot create or list API keys', async () => {
    const { key } = await createApiKey(merchant);
    expectProblem(await h.gateway.request('POST', '/api/v1/identity/api-keys', { apiKey: key, json: { name: 'another' } }), 403, 'forbidden_for_api_keys');
    expectProblem(await h.gateway.request('POST', '/api/v1/identity/api-keys', { token: key, json: { name: 'another' } }), 403, 'forbidden_for_api_keys');
    expectProblem(await h.gateway.request('GET', '/api/v1/identity/api-keys', { apiKey: key }), 403, 'forbidden_for_api_keys');
  });

  it("belong to one organisation: another cannot see or revoke them", async () => {
    const { id, key } = await createApiKey(merchant);
    expectProblem(await h.gateway.request('DELETE', `/api/v1/identity/api-keys/${id}`, { token: supplier.token }), 404, 'api_key_not_found');
    const supplierList = await h.gateway.request('GET', '/api/v1/identity/api-keys', { token: supplier.token });
    expect(supplierList.status).toBe(200);
    expect(supplierList.body.items.map((item: { id: string }) => item.id)).not.toContain(id);
    expect((await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: key })).status).toBe(200);
  });
});

describe('forwarded identity', () => {
  const WHOAMI = { method: 'GET', path: '/api/v1/catalog/whoami' };
  const operatorIdentity = (): Parameters<typeof signIdentityHeader>[0] => ({
    organisationId: operator.organisationId,
    organisationType: 'operator',
    principalType: 'user',
    principalId: randomUUID(),
    roles: ['admin'],
  });

  it('the gateway replaces a client-sent x-kami-identity with the caller it authenticated', async () => {
    // Even a header the catalog would accept (signed with the gateway's own key) does not change who you are.
    const forged = signIdentityHeader(operatorIdentity(), 'catalog', WHOAMI, h.secrets.gatewayIdentity.privateKey);
    const whoami = await h.gateway.request('GET', '/api/v1/catalog/whoami', { token: merchant.token, headers: { 'x-kami-identity': forged } });
    expect(whoami.status).toBe(200);
    expect(whoami.body).toMatchObject({ organisationId: merchant.organisationId, organisationType: 'merchant', principalType: 'user' });

    const { key } = await createApiKey(merchant);
    const viaKey = await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: key, headers: { 'x-kami-identity': forged } });
    expect(viaKey.body).toMatchObject({ organisationId: merchant.organisationId, principalType: 'api_key' });

    // Without credentials, the forged header alone gets nowhere.
    expectProblem(await h.gateway.request('GET', '/api/v1/catalog/whoami', { headers: { 'x-kami-identity': forged } }), 401, 'unauthenticated');
  });

  it('the catalog, called directly, accepts only an identity signed with the gateway’s key for itself and this request, once', async () => {
    expectProblem(await h.service('catalog').request('GET', '/api/v1/catalog/whoami'), 401, 'unauthenticated');
    const gatewayKey = h.secrets.gatewayIdentity.privateKey;
    const replayed = signIdentityHeader(operatorIdentity(), 'catalog', WHOAMI, gatewayKey);
    expect((await h.service('catalog').request('GET', '/api/v1/catalog/whoami', { headers: { 'x-kami-identity': replayed } })).status).toBe(200);
    const forgedElsewhere = {
      wrongKey: signIdentityHeader(operatorIdentity(), 'catalog', WHOAMI, generateSigningKeyPair().privateKey),
      aServicesKey: signIdentityHeader(operatorIdentity(), 'catalog', WHOAMI, h.secrets.serviceKeys.catalog.privateKey),
      wrongAudience: signIdentityHeader(operatorIdentity(), 'vault', WHOAMI, gatewayKey),
      otherPath: signIdentityHeader(operatorIdentity(), 'catalog', { ...WHOAMI, path: '/api/v1/catalog/products' }, gatewayKey),
      expired: signIdentityHeader(operatorIdentity(), 'catalog', WHOAMI, gatewayKey, { issuedAt: Math.floor(Date.now() / 1000) - 120 }),
      replayed,
      unsigned: Buffer.from(JSON.stringify({ ...operatorIdentity(), aud: 'catalog', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url'),
    };
    for (const [kind, header] of Object.entries(forgedElsewhere)) {
      const response = await h.service('catalog').request('GET', '/api/v1/catalog/whoami', { headers: { 'x-kami-identity': header } });
      expect({ kind, status: response.status, code: response.body?.code }).toEqual({ kind, status: 401, code: 'unauthenticated' });
    }
    // Credentials meant for the gateway mean nothing to the catalog.
    expectProblem(await h.service('catalog').request('GET', '/api/v1/catalog/whoami', { token: merchant.token }), 401, 'unauthenticated');

    // Control: what the gateway would send is accepted (so the refusals above are about the forgery).
    const genuine = operatorIdentity();
    const accepted = await h.service('catalog').request('GET', '/api/v1/catalog/whoami', {
      headers: { 'x-kami-identity': signIdentityHeader(genuine, 'catalog', WHOAMI, gatewayKey) },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toEqual(genuine);
  });
});

describe('organisation types and roles', () => {
  const profile = { legalName: '深圳市卡源科技有限公司', businessLicenceNumber: '91440300MA5FXXXX1X', contactPhone: '+86 755 1234 5678' };

  it('only suppliers keep a supplier profile', async () => {
    expectProblem(await h.gateway.request('PUT', '/api/v1/identity/supplier-profile', { token: merchant.token, json: profile }), 403, 'forbidden_organisation_type');
    const merchantOrg = await h.gateway.request('GET', '/api/v1/identity/organisation', { token: merchant.token });
    expect(merchantOrg.body.supplierProfile).toBeNull();

    const saved = await h.gateway.request('PUT', '/api/v1/identity/supplier-profile', { token: supplier.token, json: profile });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ id: supplier.organisationId, type: 'supplier', supplierProfile: profile });
    const reread = await h.gateway.request('GET', '/api/v1/identity/organisation', { token: supplier.token });
    expect(reread.body.supplierProfile).toEqual(profile);
  });

  it('refuses a bad supplier profile field by field', async () => {
    const response = await h.gateway.request('PUT', '/api/v1/identity/supplier-profile', {
      token: supplier.token,
      json: { ...profile, businessLicenceNumber: '12345', contactPhone: 'call me' },
    });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['businessLicenceNumber', 'contactPhone']);
  });

  it('only operator admins in a portal session register organisations', async () => {
    const input = (type: 'merchant' | 'supplier') => ({ name: 'Sneaky Co.', type, admin: { email: `sneaky-${randomUUID()}@test.kami`, password: 'sneaky-password' } });
    const before = await countRows('organisation');
    expectProblem(await h.registerOrganisation(merchant.token, input('merchant')), 403, 'forbidden_organisation_type');
    expectProblem(await h.registerOrganisation(supplier.token, input('supplier')), 403, 'forbidden_organisation_type');
    const { key: operatorKey } = await createApiKey(operator);
    expectProblem(await h.registerOrganisation(operatorKey, input('merchant')), 403, 'forbidden_for_api_keys');
    expect(await countRows('organisation')).toBe(before);
  });
});

describe('operators look organisations up', () => {
  const list = (token: string, query: string): Promise<ApiResponse> => h.gateway.request('GET', `/api/v1/identity/organisations?${query}`, { token });

  it('by type and part of the name, sorted by name and paged; by ids; merchants and suppliers cannot', async () => {
    const tag = randomUUID().slice(0, 8);
    const names = [`卡源 ${tag} B`, `卡源 ${tag} A`, `卡源 ${tag} C`];
    const suppliers = await Promise.all(names.map((name) => h.createAccount(operator.token, 'supplier', name)));
    const merchantOfTag = await h.createAccount(operator.token, 'merchant', `卡源 ${tag} merchant`);

    const first = await list(operator.token, `type=supplier&q=${encodeURIComponent(tag)}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((o: JsonBody) => [o.name, o.type])).toEqual([
      [`卡源 ${tag} A`, 'supplier'],
      [`卡源 ${tag} B`, 'supplier'],
    ]);
    const second = await list(operator.token, `type=supplier&q=${encodeURIComponent(tag)}&limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ name: `卡源 ${tag} C`, id: suppliers[2]!.organisationId })], nextCursor: null });

    // A LIKE wildcard in the search is a plain character.
    expect((await list(operator.token, `q=${encodeURIComponent(`${tag}%`)}`)).body.items).toEqual([]);

    const byIds = await list(operator.token, `ids=${suppliers[0]!.organisationId},${merchantOfTag.organisationId}`);
    expect(byIds.body.items.map((o: JsonBody) => o.id).sort()).toEqual([suppliers[0]!.organisationId, merchantOfTag.organisationId].sort());

    expectProblem(await list(merchant.token, 'type=supplier'), 403, 'forbidden_organisation_type');
    expectProblem(await list(supplier.token, 'type=supplier'), 403, 'forbidden_organisation_type');
    expectProblem(await list(operator.token, 'ids=not-a-uuid'), 400, 'validation_failed');
    expectProblem(await list(operator.token, 'type=reseller'), 400, 'validation_failed');
    expectProblem(await list(operator.token, 'cursor=garbage'), 400, 'invalid_cursor');
  });
});

describe('input validation', () => {
  it('answers malformed JSON with malformed_json', async () => {
    const response = await h.gateway.request('POST', '/api/v1/identity/sessions', { rawJson: '{"email": "a@b.c", "password": ' });
    expectProblem(response, 400, 'malformed_json');
  });

  it('lists every bad and unknown field', async () => {
    const response = await h.gateway.request('POST', '/api/v1/identity/sessions', { json: { email: 'x', password: '', extra: 1 } });
    expectProblem(response, 400, 'validation_failed');
    expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'extra', 'password']);
    for (const error of response.body.errors) expect(error.messages).toEqual([expect.any(String)]);
  });

  it('stores nothing when registering an organisation is refused', async () => {
    const [organisationsBefore, usersBefore] = await Promise.all([countRows('organisation'), countRows('app_user')]);
    const email = `refused-${randomUUID()}@test.kami`;

    const invalid = await h.registerOrganisation(operator.token, {
      name: '',
      type: 'reseller',
      admin: { email, password: 'short' },
      extra: true,
    } as never);
    expectProblem(invalid, 400, 'validation_failed');
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['admin.password', 'extra', 'name', 'type']);

    const malformed = await h.gateway.request('POST', '/api/v1/identity/organisations', { token: operator.token, rawJson: `{"name": "Half", "admin": {"email": "${email}"` });
    expectProblem(malformed, 400, 'malformed_json');

    // The first admin's email is taken: refused as a whole, no organisation without a user.
    const taken = await h.registerOrganisation(operator.token, { name: 'Duplicate Co.', type: 'merchant', admin: { email: merchant.email.toUpperCase(), password: 'long-enough-password' } });
    expectProblem(taken, 409, 'email_taken');

    expect(await Promise.all([countRows('organisation'), countRows('app_user')])).toEqual([organisationsBefore, usersBefore]);
    expectProblem(await h.login(email, 'short'), 401, 'invalid_credentials');
  });
});

describe('registering one email twice at the same moment', () => {
  it('one registration wins, the others get 409 email_taken (never a 500), and no organisation is left without its admin', async () => {
    const [organisationsBefore, usersBefore] = await Promise.all([countRows('organisation'), countRows('app_user')]);
    // The race is between the email check and the insert; several rounds of 8 make hitting it likely.
    for (let round = 0; round < 5; round++) {
      const email = `race-${round}-${randomUUID()}@test.kami`;
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          h.registerOrganisation(operator.token, { name: `Race ${round}.${i}`, type: 'merchant', admin: { email: i % 2 ? email : email.toUpperCase(), password: 'race-password-1' } }),
        ),
      );
      const outcomes = answers.map((a) => `${a.status} ${a.status === 201 ? 'created' : a.body?.code}`).sort();
      expect(outcomes).toEqual(['201 created', ...Array(7).fill('409 email_taken')]);
    }
    expect(await Promise.all([countRows('organisation'), countRows('app_user')])).toEqual([organisationsBefore + 5, usersBefore + 5]);
  });
});

describe('rate limits (strict gateway instance)', () => {
  it('the 6th request with one API key within the window is 429 with Retry-After; another key is still served', async () => {
    const strict = h.gateways.strict!;
    const [first, second] = await Promise.all([createApiKey(merchant, 'busy storefront'), createApiKey(merchant, 'quiet storefront')]);
    // Both ways of presenting a key count against the same key.
    for (let i = 0; i < STRICT.RATE_LIMIT_PER_API_KEY; i++) {
      const response = await strict.request('GET', '/api/v1/catalog/whoami', i % 2 === 0 ? { apiKey: first.key } : { token: first.key });
      expect({ request: i + 1, status: response.status }).toEqual({ request: i + 1, status: 200 });
    }
    const limited = await strict.request('GET', '/api/v1/catalog/whoami', { apiKey: first.key });
    expectProblem(limited, 429, 'rate_limited');
    const retryAfter = limited.headers.get('retry-after');
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(Number(retryAfter)).toBeLessThanOrEqual(STRICT.RATE_LIMIT_WINDOW_SECONDS);
    expectProblem(await strict.request('GET', '/api/v1/catalog/whoami', { token: first.key }), 429, 'rate_limited');

    const other = await strict.request('GET', '/api/v1/catalog/whoami', { apiKey: second.key });
    expect(other.status).toBe(200);
    expect(other.body).toMatchObject({ principalId: second.id });
    // Counters live per gateway deployment (Redis prefix): the main instance still serves the busy key.
    expect((await h.gateway.request('GET', '/api/v1/catalog/whoami', { apiKey: first.key })).status).toBe(200);
  });

  it('login attempts per client IP are limited, even with the right password afterwards', async () => {
    const strict = h.gateways.strict!;
    for (let i = 0; i < STRICT.RATE_LIMIT_LOGIN_PER_IP; i++) {
      const response = await strict.request('POST', '/api/v1/identity/sessions', { json: { email: supplier.email, password: `guess-${i}` } });
      expect({ attempt: i + 1, status: response.status }).toEqual({ attempt: i + 1, status: 401 });
    }
    const limited = await strict.request('POST', '/api/v1/identity/sessions', { json: { email: supplier.email, password: supplier.password } });
    expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(limited.body.accessToken).toBeUndefined();
    // Spellings the router also sends to the login route share the same counter.
    for (const path of ['/API/V1/IDENTITY/SESSIONS', '/api/v1/identity/sessions/', '/api/v1/identity/sessions?via=query']) {
      const variant = await strict.request('POST', path, { json: { email: supplier.email, password: supplier.password } });
      expect({ path, status: variant.status, code: variant.body?.code }).toEqual({ path, status: 429, code: 'rate_limited' });
    }
    const absoluteForm = await postAbsoluteForm(strict.url, '/api/v1/identity/sessions', { email: supplier.email, password: supplier.password });
    expect({ status: absoluteForm.status, code: absoluteForm.body?.code }).toEqual({ status: 429, code: 'rate_limited' });
    // Only logins are limited this tightly: other requests from the same client still pass.
    expect((await strict.request('GET', '/api/v1/identity/me', { token: supplier.token })).status).toBe(200);
  });
});

describe('API documentation', () => {
  it('GET /api/docs/openapi.json lists the identity routes', async () => {
    const response = await h.gateway.request('GET', '/api/docs/openapi.json');
    expect(response.status).toBe(200);
    const paths = response.body.paths as Record<string, Record<string, unknown>>;
    const methods = (path: string): string[] => Object.keys(paths[path] ?? {}).sort();
    expect(methods('/api/v1/identity/sessions')).toEqual(['post']);
    expect(methods('/api/v1/identity/sessions/refresh')).toEqual(['post']);
    expect(methods('/api/v1/identity/me')).toEqual(['get']);
    expect(methods('/api/v1/identity/organisation')).toEqual(['get']);
    expect(methods('/api/v1/identity/organisations')).toEqual(['get', 'post']);
    expect(methods('/api/v1/identity/supplier-profile')).toEqual(['put']);
    expect(methods('/api/v1/identity/api-keys')).toEqual(['get', 'post']);
    expect(methods('/api/v1/identity/api-keys/{id}')).toEqual(['delete']);
  });
});

describe('Idempotency-Key on the identity POSTs that create things', () => {
  const withKey = (key: string): { headers: Record<string, string> } => ({ headers: { 'Idempotency-Key': key } });

  it('registering an organisation twice with one Idempotency-Key registers it once', async () => {
    const idempotencyKey = randomUUID();
    const tag = randomUUID().slice(0, 8);
    const input = { name: `Retry Co. ${tag}`, type: 'supplier' as const, admin: { email: `retry-${tag}@test.kami`, password: 'retry-password-1' } };
    const register = (body: typeof input): Promise<ApiResponse> =>
      h.gateway.request('POST', '/api/v1/identity/organisations', { token: operator.token, json: body, ...withKey(idempotencyKey) });
    const before = await countRows('organisation');

    const first = await register(input);
    expect(first.status).toBe(201);
    const retried = await register({ ...input, admin: { password: input.admin.password, email: input.admin.email } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toEqual(first.body);
    expect(await countRows('organisation')).toBe(before + 1);

    expectProblem(await register({ ...input, name: `Other Co. ${tag}` }), 422, 'idempotency_key_reused');
    expect(await countRows('organisation')).toBe(before + 1);
    // Only a keyed fingerprint of the body is kept, never the admin's password.
    const stored = await h.query<{ fingerprint: string; response: string }>(
      `SELECT fingerprint, response_body::text AS response FROM platform_idempotency WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    expect(stored).toHaveLength(1);
    expect(`${stored[0]!.fingerprint} ${stored[0]!.response}`).not.toContain(input.admin.password);
  });

  it('refuses a malformed Idempotency-Key before doing anything', async () => {
    const before = await countRows('organisation');
    const tag = randomUUID().slice(0, 8);
    const input = { name: `Bad Key Co. ${tag}`, type: 'merchant', admin: { email: `bad-key-${tag}@test.kami`, password: 'bad-key-password-1' } };
    const refused = await h.gateway.request('POST', '/api/v1/identity/organisations', { token: operator.token, json: input, ...withKey('x'.repeat(256)) });
    expectProblem(refused, 400, 'invalid_idempotency_key');
    expect(await countRows('organisation')).toBe(before);
  });

  it('documents the header on those routes only', async () => {
    const response = await h.gateway.request('GET', '/api/docs/openapi.json');
    const headerOf = (path: string, method: string): unknown =>
      ((response.body.paths[path]?.[method]?.parameters ?? []) as { in: string; name: string }[]).find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    expect(headerOf('/api/v1/identity/organisations', 'post')).toMatchObject({ required: false });
    // Not on API key creation: its response holds the whole key, which is never stored to replay.
    expect(headerOf('/api/v1/identity/api-keys', 'post')).toBeUndefined();
    expect(headerOf('/api/v1/identity/sessions', 'post')).toBeUndefined();
  });
});
