import { createHmac, createPrivateKey, randomUUID } from 'node:crypto';
import {
  bodyDigestOf,
  eventually,
  generateSigningKeyPair,
  signIdentityHeader,
  signServiceToken,
  startSystem,
  type Account,
  type ApiResponse,
  type ForwardedIdentity,
  type ServiceInstance,
  type SystemHarness,
} from '@kami/testing';
import { sellCodesFixture, type FixtureReservation } from './support/sell-codes';
import { seedOffer } from './support/vault-fixtures';

/*
 * ATTACKER SUITE: the inside of the system, tried by someone who holds one service's environment
 * or sits on the network between the gateway and the services. Requests go straight at each
 * service's port (never through the gateway): forged and replayed identity headers, service tokens
 * signed with the wrong key or naming another caller, tokens moved onto another request, and a
 * reveal for a buyer who did not buy the code. Every attempt gets a 4xx and reveals nothing.
 */

let h: SystemHarness;
let vault: ServiceInstance;
let delivery: ServiceInstance;
let operator: Account;
let supplier: Account;
let buyer: Account;
let otherBuyer: Account;
let sold: FixtureReservation;
const uploaded: string[] = [];

const REVEAL_PATH = '/internal/v1/reveals';
const WHOAMI = { vault: '/api/v1/vault/whoami', delivery: '/api/v1/delivery/whoami' } as const;

const randomCode = (): string => Array.from({ length: 16 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(Math.random() * 32)]).join('');

const operatorIdentity = (): ForwardedIdentity => ({ organisationId: operator.organisationId, organisationType: 'operator', principalType: 'user', principalId: randomUUID(), roles: ['admin'] });

/** The gateway's genuine header for exactly this request. */
const gatewayHeader = (audience: string, request: { method: string; path: string; body?: string }, identity = operatorIdentity()): string =>
  signIdentityHeader(identity, audience, request, h.secrets.gatewayIdentity.privateKey);

/** Delivery's genuine token for exactly this request to the vault. */
const deliveryToken = (request: { method: string; path: string; body?: string }): string =>
  signServiceToken('delivery', 'vault', request, h.secrets.serviceKeys.delivery.privateKey);

async function revealCount(): Promise<number> {
  const [row] = await vault.query<{ n: string }>(`SELECT count(*) AS n FROM reveal`);
  return Number(row!.n);
}

/** A raw request at a service's own port: the body is sent byte for byte as given. */
function send(target: ServiceInstance, method: string, path: string, headers: Record<string, string>, body?: string): Promise<ApiResponse> {
  return target.request(method, path, body === undefined ? { headers } : { headers, rawJson: body });
}

function expectRefused(response: ApiResponse, status: number, code: string, what = ''): void {
  expect({ what, status: response.status, code: response.body?.code }).toEqual({ what, status, code });
  for (const code of uploaded) expect(response.text).not.toContain(code);
}

/**
 * Every header an attacker can sign with what one process's environment holds: the old shared-secret
 * HMAC format with every value in it, and the current format with every value that is a private key.
 */
function forgeriesWith(env: Record<string, string>, sign: (privateKey: string) => string, claims: Record<string, unknown>, hmacDomain: string): string[] {
  const forged: string[] = [];
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  for (const value of Object.values(env)) {
    forged.push(`${body}.${createHmac('sha256', value).update(`${hmacDomain}${body}`).digest('base64url')}`);
    try {
      createPrivateKey({ key: Buffer.from(value, 'base64url'), format: 'der', type: 'pkcs8' });
      forged.push(sign(value));
    } catch {
      // not a private key
    }
  }
  return forged;
}

beforeAll(async () => {
  // The vault also trusts ordering's key, but names only delivery on its reveal route.
  h = await startSystem({ label: 'internal_trust', services: ['vault', 'delivery'], trustedCallers: { vault: ['delivery', 'ordering'] }, serviceEnv: { vault: { LOG_LEVEL: 'info' } } });
  vault = h.service('vault');
  delivery = h.service('delivery');
  operator = await h.bootstrapOperator();
  [supplier, buyer, otherBuyer] = await Promise.all([
    h.createAccount(operator.token, 'supplier', 'Trust Supplier'),
    h.createAccount(operator.token, 'merchant', 'Trust Buyer'),
    h.createAccount(operator.token, 'merchant', 'Trust Other Buyer'),
  ]);
  const { offerId } = await seedOffer(vault, { supplierId: supplier.organisationId });
  const codes = Array.from({ length: 4 }, () => ({ code: randomCode() }));
  uploaded.push(...codes.map((c) => c.code));
  const batch = await h.gateway.request('POST', '/api/v1/vault/batches', { token: supplier.token, json: { offerId, codes } });
  if (batch.status !== 201) throw new Error(`batch upload answered ${batch.status}: ${batch.text}`);
  sold = await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, count: 2 });
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

describe('forwarded identities: only the gateway can sign one, once, for one request', () => {
  it('serves the gateway’s genuine header once, and refuses the same header replayed', async () => {
    for (const [service, target] of [['vault', vault], ['delivery', delivery]] as const) {
      const header = gatewayHeader(service, { method: 'GET', path: WHOAMI[service] });
      const first = await send(target, 'GET', WHOAMI[service], { 'x-kami-identity': header });
      expect({ service, status: first.status, org: first.body?.organisationId }).toEqual({ service, status: 200, org: operator.organisationId });
      expectRefused(await send(target, 'GET', WHOAMI[service], { 'x-kami-identity': header }), 401, 'unauthenticated', `${service} replay`);
    }
  });

  it('refuses an operator identity forged with anything a service’s environment holds', async () => {
    for (const [service, target] of [['vault', vault], ['delivery', delivery]] as const) {
      for (const holder of ['vault', 'delivery'] as const) {
        const request = { method: 'GET', path: WHOAMI[service] };
        const claims = { ...operatorIdentity(), aud: service, exp: Math.floor(Date.now() / 1000) + 30 };
        const forged = forgeriesWith(h.envOf(holder), (key) => signIdentityHeader(operatorIdentity(), service, request, key), claims, '');
        expect(forged.length).toBeGreaterThan(5);
        for (const header of forged) expectRefused(await send(target, 'GET', WHOAMI[service], { 'x-kami-identity': header }), 401, 'unauthenticated', `${service} forged with ${holder}'s environment`);
      }
    }
  });

  it('refuses a header signed with a key that is not the gateway’s', async () => {
    const stranger = generateSigningKeyPair();
    const header = signIdentityHeader(operatorIdentity(), 'vault', { method: 'GET', path: WHOAMI.vault }, stranger.privateKey);
    expectRefused(await send(vault, 'GET', WHOAMI.vault, { 'x-kami-identity': header }), 401, 'unauthenticated');
  });

  it('refuses a genuine header moved onto another method, path, query or body', async () => {
    const path = '/api/v1/vault/codes/void';
    const signedBody = JSON.stringify({ codeIds: ['1'], reason: 'signed' });
    const supplierIdentity: ForwardedIdentity = { organisationId: supplier.organisationId, organisationType: 'supplier', principalType: 'user', principalId: randomUUID(), roles: ['admin'] };
    const attempts: { what: string; method: string; path: string; body?: string }[] = [
      { what: 'another body', method: 'POST', path, body: JSON.stringify({ codeIds: sold.codeIds, reason: 'swapped' }) },
      { what: 'another path', method: 'POST', path: '/api/v1/vault/batches', body: signedBody },
      { what: 'another query', method: 'POST', path: `${path}?dryRun=false`, body: signedBody },
      { what: 'another method', method: 'GET', path: WHOAMI.vault },
    ];
    for (const attempt of attempts) {
      const header = gatewayHeader('vault', { method: 'POST', path, body: signedBody }, supplierIdentity);
      expectRefused(await send(vault, attempt.method, attempt.path, { 'x-kami-identity': header }, attempt.body), 401, 'unauthenticated', attempt.what);
    }
    // The same header on the request it was signed for gets past authentication (to the void's own answer).
    const genuine = await send(vault, 'POST', path, { 'x-kami-identity': gatewayHeader('vault', { method: 'POST', path, body: signedBody }, supplierIdentity) }, signedBody);
    expect(genuine.status).not.toBe(401);
  });

  it('refuses a header that lives longer than seconds', async () => {
    const header = signIdentityHeader(operatorIdentity(), 'vault', { method: 'GET', path: WHOAMI.vault }, h.secrets.gatewayIdentity.privateKey, { ttlSeconds: 3600 });
    expectRefused(await send(vault, 'GET', WHOAMI.vault, { 'x-kami-identity': header }), 401, 'unauthenticated');
  });
});

describe('service tokens: the vault’s reveal accepts delivery’s key alone, once, for one request', () => {
  const body = (buyerId = buyer.organisationId): string => JSON.stringify({ buyerId, codeIds: sold.codeIds, channel: 'portal' });

  it('reveals to delivery’s genuine token once, and refuses the same token replayed', async () => {
    const before = await revealCount();
    const token = deliveryToken({ method: 'POST', path: REVEAL_PATH, body: body() });
    const first = await send(vault, 'POST', REVEAL_PATH, { 'x-kami-service': token }, body());
    expect(first.status).toBe(200);
    expect(first.body.codes).toHaveLength(2);
    expectRefused(await send(vault, 'POST', REVEAL_PATH, { 'x-kami-service': token }, body()), 401, 'service_unauthenticated', 'replay');
    expect(await revealCount()).toBe(before + 1);
  });

  it('refuses a token signed with another service’s key, or with anything a service’s environment holds', async () => {
    const before = await revealCount();
    const request = { method: 'POST', path: REVEAL_PATH, body: body() };
    const attempts: [string, string][] = [
      ['settlement’s key, claiming delivery', signServiceToken('delivery', 'vault', request, h.secrets.serviceKeys.settlement.privateKey)],
      ['ordering’s key, claiming delivery', signServiceToken('delivery', 'vault', request, h.secrets.serviceKeys.ordering.privateKey)],
      ['a stranger’s key', signServiceToken('delivery', 'vault', request, generateSigningKeyPair().privateKey)],
      ['a gateway identity in its place', gatewayHeader('vault', request, { organisationId: buyer.organisationId, organisationType: 'merchant', principalType: 'user', principalId: 'u', roles: ['admin'] })],
      ['the gateway’s key', signServiceToken('delivery', 'vault', request, h.secrets.gatewayIdentity.privateKey)],
    ];
    const iat = Math.floor(Date.now() / 1000);
    for (const holder of ['vault', 'gateway'] as const) {
      const forged = forgeriesWith(h.envOf(holder), (key) => signServiceToken('delivery', 'vault', request, key), { typ: 'kami-service', iss: 'delivery', aud: 'vault', iat, exp: iat + 30 }, 'kami.service-token.v1:');
      attempts.push(...forged.map((token, i): [string, string] => [`forged with ${holder}'s environment #${i}`, token]));
    }
    for (const [what, token] of attempts) expectRefused(await send(vault, 'POST', REVEAL_PATH, { 'x-kami-service': token }, body()), 401, 'service_unauthenticated', what);
    expect(await revealCount()).toBe(before);
  });

  it('refuses a caller the route does not name with 403, even with its own genuine key', async () => {
    const token = signServiceToken('ordering', 'vault', { method: 'POST', path: REVEAL_PATH, body: body() }, h.secrets.serviceKeys.ordering.privateKey);
    expectRefused(await send(vault, 'POST', REVEAL_PATH, { 'x-kami-service': token }, body()), 403, 'service_forbidden');
  });

  it('refuses a genuine token moved onto another body, path, query, method or audience, or living too long', async () => {
    const before = await revealCount();
    const signed = { method: 'POST', path: REVEAL_PATH, body: JSON.stringify({ buyerId: buyer.organisationId, codeIds: [sold.codeIds[0]], channel: 'portal' }) };
    const attempts: { what: string; token: string; method?: string; path?: string; body?: string }[] = [
      { what: 'another body', token: deliveryToken(signed), body: body() },
      { what: 'another query', token: deliveryToken(signed), path: `${REVEAL_PATH}?all=1`, body: signed.body },
      { what: 'another path', token: deliveryToken({ ...signed, path: '/internal/v1/other' }), body: signed.body },
      { what: 'another method', token: deliveryToken({ ...signed, method: 'PUT' }), body: signed.body },
      { what: 'no body digest', token: deliveryToken({ ...signed, body: undefined, ...{ bodyDigest: 'UNSIGNED-PAYLOAD' } }), body: signed.body },
      { what: 'another audience', token: signServiceToken('delivery', 'settlement', signed, h.secrets.serviceKeys.delivery.privateKey), body: signed.body },
      { what: 'an hour to live', token: signServiceToken('delivery', 'vault', signed, h.secrets.serviceKeys.delivery.privateKey, { ttlSeconds: 3600 }), body: signed.body },
      { what: 'issued long ago', token: signServiceToken('delivery', 'vault', signed, h.secrets.serviceKeys.delivery.privateKey, { issuedAt: Math.floor(Date.now() / 1000) - 600 }), body: signed.body },
    ];
    for (const attempt of attempts) {
      const response = await send(vault, attempt.method ?? 'POST', attempt.path ?? REVEAL_PATH, { 'x-kami-service': attempt.token }, attempt.body);
      expectRefused(response, 401, 'service_unauthenticated', attempt.what);
    }
    expect(await revealCount()).toBe(before);
    expect(bodyDigestOf(signed.body)).not.toBe(bodyDigestOf(body()));
  });

  it('reveals nothing to a buyer who did not buy the code, and audits the refusal', async () => {
    const before = await revealCount();
    const forOther = body(otherBuyer.organisationId);
    const response = await send(vault, 'POST', REVEAL_PATH, { 'x-kami-service': deliveryToken({ method: 'POST', path: REVEAL_PATH, body: forOther }) }, forOther);
    expectRefused(response, 404, 'codes_not_found');
    expect(await revealCount()).toBe(before);
    const refusalLine = (): string | undefined =>
      vault.process
        .output()
        .split('\n')
        .find((l) => l.includes('"codes.reveal_refused"') && l.includes(otherBuyer.organisationId));
    const refusal = await eventually(async () => refusalLine(), (line) => line !== undefined, { timeoutMs: 5_000, what: 'the refusal in the vault’s audit log' }).catch(() => undefined);
    expect(refusal).toBeDefined();
    expect(JSON.parse(refusal!)).toMatchObject({ audit: 'codes.reveal_refused', caller: 'delivery', buyerId: otherBuyer.organisationId, reason: 'codes_not_found', asked: 2 });
  });
});
