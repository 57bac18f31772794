import { randomUUID } from 'node:crypto';
import { eventually, generateSigningKeyPair, signIdentityHeader, signServiceToken, startSystem, type Account, type ApiResponse, type ServiceInstance, type SystemHarness } from '@kami/testing';
import { reserveCodesFixture, sellCodesFixture, type FixtureReservation } from './support/sell-codes';
import { seedOffer } from './support/vault-fixtures';

/*
 * The audited reveal: delivery (and only delivery, with a service token) asks the vault for the
 * plaintext of codes sold to a buyer. Codes come in through the real batches API; the order saga
 * that sells them is played by SQL fixtures (support/sell-codes.ts).
 */

let h: SystemHarness;
let vault: ServiceInstance;
let operator: Account;
let supplier: Account;
let buyer: Account;
let otherBuyer: Account;
let offerId: string;

/** Uploaded credentials by code. */
const uploaded = new Map<string, { code: string; pin?: string; serial?: string }>();
let sold: FixtureReservation;
let secondOrder: FixtureReservation;
let held: FixtureReservation;
let availableIds: string[];

const REVEAL_PATH = '/internal/v1/reveals';

/** Delivery's token for this body (or, with other arguments, a token someone else signed). */
const tokenFor = (body: string, options: { caller?: string; audience?: string; key?: string; ttlSeconds?: number; issuedAt?: number } = {}): string =>
  signServiceToken(options.caller ?? 'delivery', options.audience ?? 'vault', { method: 'POST', path: REVEAL_PATH, body }, options.key ?? h.secrets.serviceKeys.delivery.privateKey, options);

/** POSTs `json` to the reveal, with delivery's genuine token for exactly these bytes unless `headers` says otherwise. */
function reveal(json: unknown, headers?: Record<string, string> | ((body: string) => Record<string, string>)): Promise<ApiResponse> {
  const body = JSON.stringify(json);
  const sent = typeof headers === 'function' ? headers(body) : (headers ?? { 'x-kami-service': tokenFor(body) });
  return vault.request('POST', REVEAL_PATH, { rawJson: body, headers: sent });
}

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

/** Nothing in the answer is a code's plaintext. */
function expectNoPlaintext(response: ApiResponse): void {
  for (const code of uploaded.keys()) expect(response.text).not.toContain(code);
}

async function revealCount(): Promise<number> {
  const [row] = await vault.query<{ n: string }>(`SELECT count(*) AS n FROM reveal`);
  return Number(row!.n);
}

const randomCode = (): string => Array.from({ length: 16 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(Math.random() * 32)]).join('');

beforeAll(async () => {
  // Info-level logs, so the test can check that nothing the vault writes holds plaintext.
  h = await startSystem({ label: 'vault_reveal', services: ['vault'], serviceEnv: { vault: { LOG_LEVEL: 'info' } } });
  vault = h.service('vault');
  operator = await h.bootstrapOperator();
  [supplier, buyer, otherBuyer] = await Promise.all([
    h.createAccount(operator.token, 'supplier', 'Reveal Supplier'),
    h.createAccount(operator.token, 'merchant', 'Reveal Buyer'),
    h.createAccount(operator.token, 'merchant', 'Another Buyer'),
  ]);
  ({ offerId } = await seedOffer(vault, { supplierId: supplier.organisationId, pinPolicy: 'optional', pinPattern: '^[0-9]{6}$' }));

  const codes = Array.from({ length: 10 }, (_, i) => ({
    code: randomCode(),
    ...(i % 2 === 0 ? { pin: String(100000 + i) } : {}),
    ...(i % 3 === 0 ? { serial: `SN-${i}` } : {}),
  }));
  codes.forEach((c) => uploaded.set(c.code, c));
  const batch = await h.gateway.request('POST', '/api/v1/vault/batches', { token: supplier.token, json: { offerId, codes } });
  if (batch.status !== 201) throw new Error(`batch upload answered ${batch.status}: ${batch.text}`);

  // 3 + 2 codes sold to the buyer in two orders, 1 reserved for it but not sold, the rest available.
  sold = await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, count: 3 });
  secondOrder = await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, count: 2 });
  held = await reserveCodesFixture(vault, { offerId, buyerId: buyer.organisationId, count: 1, status: 'held' });
  availableIds = (await vault.query<{ id: string }>(`SELECT id::text AS id FROM code WHERE offer_id = $1 AND status = 'available' ORDER BY id`, [offerId])).map((r) => r.id);
  expect(availableIds).toHaveLength(4);
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

describe('revealing codes to their buyer', () => {
  it('returns the plaintext of the buyer’s sold codes, with no-store, and records the reveal first', async () => {
    const before = await revealCount();
    const response = await reveal({ buyerId: buyer.organisationId, codeIds: sold.codeIds, channel: 'portal', actor: 'user-7', purpose: 'csv_download' });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body.codes.map((c: { codeId: string }) => c.codeId)).toEqual(sold.codeIds);
    for (const revealed of response.body.codes) {
      const original = uploaded.get(revealed.code);
      expect(original).toBeDefined();
      expect(revealed).toEqual({
        codeId: expect.any(String),
        offerId,
        orderId: sold.orderId,
        lineId: sold.lineId,
        code: original!.code,
        ...(original!.pin ? { pin: original!.pin } : {}),
        ...(original!.serial ? { serial: original!.serial } : {}),
        expiresAt: null,
      });
    }

    expect(await revealCount()).toBe(before + 1);
    const [record] = await vault.query(`SELECT buyer_id, caller, actor, channel, order_id, code_count FROM reveal WHERE id = $1`, [response.body.revealId]);
    expect(record).toEqual({ buyer_id: buyer.organisationId, caller: 'delivery', actor: 'user-7', channel: 'portal', order_id: sold.orderId, code_count: 3 });
    const revealedCodes = await vault.query<{ code_id: string }>(`SELECT code_id::text AS code_id FROM reveal_code WHERE reveal_id = $1 ORDER BY code_id`, [response.body.revealId]);
    expect(revealedCodes.map((r) => r.code_id)).toEqual([...sold.codeIds].sort((a, b) => Number(a) - Number(b)));
  });

  it('reveals a whole order by its id, and every reveal is recorded again', async () => {
    const first = await reveal({ buyerId: buyer.organisationId, orderId: secondOrder.orderId, channel: 'api', actor: 'key-1' });
    const second = await reveal({ buyerId: buyer.organisationId, orderId: secondOrder.orderId, channel: 'webhook' });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.body.codes.map((c: { codeId: string }) => c.codeId).sort()).toEqual([...secondOrder.codeIds].sort());
    expect(second.body.codes).toEqual(first.body.codes);
    expect(second.body.revealId).not.toBe(first.body.revealId);
    const records = await vault.query(`SELECT channel, actor, order_id, code_count FROM reveal WHERE id = ANY($1::uuid[]) ORDER BY revealed_at`, [[first.body.revealId, second.body.revealId]]);
    expect(records).toEqual([
      { channel: 'api', actor: 'key-1', order_id: secondOrder.orderId, code_count: 2 },
      { channel: 'webhook', actor: null, order_id: secondOrder.orderId, code_count: 2 },
    ]);
  });

  it('reveals nothing, and says nothing about which, unless every code is sold to that buyer', async () => {
    const before = await revealCount();
    const cases = [
      { what: 'another merchant asking for the buyer’s codes', body: { buyerId: otherBuyer.organisationId, codeIds: sold.codeIds, channel: 'portal' } },
      { what: 'another merchant asking for the buyer’s order', body: { buyerId: otherBuyer.organisationId, orderId: sold.orderId, channel: 'portal' } },
      { what: 'a reserved, unpaid code among sold ones', body: { buyerId: buyer.organisationId, codeIds: [...sold.codeIds, ...held.codeIds], channel: 'portal' } },
      { what: 'a reserved, unpaid order', body: { buyerId: buyer.organisationId, orderId: held.orderId, channel: 'portal' } },
      { what: 'an available code', body: { buyerId: buyer.organisationId, codeIds: [availableIds[0]], channel: 'stock_pull' } },
      { what: 'a code that does not exist', body: { buyerId: buyer.organisationId, codeIds: [sold.codeIds[0], '987654321987'], channel: 'api' } },
      { what: 'an id beyond any stored code', body: { buyerId: buyer.organisationId, codeIds: ['9999999999999999999'], channel: 'api' } },
      { what: 'an unknown order', body: { buyerId: buyer.organisationId, orderId: randomUUID(), channel: 'api' } },
    ];
    for (const { what, body } of cases) {
      const response = await reveal(body);
      expect({ what, status: response.status, code: response.body?.code }).toEqual({ what, status: 404, code: 'codes_not_found' });
      expectNoPlaintext(response);
      for (const id of [...sold.codeIds, ...held.codeIds, ...availableIds]) expect(response.text).not.toContain(`"${id}"`);
    }
    expect(await revealCount()).toBe(before);
    // Each refusal is audited (who asked, for whom, how many), never naming a code.
    const refusals = await eventually(
      async () => vault.process.output().split('\n').filter((line) => line.includes('"codes.reveal_refused"')),
      (lines) => lines.length >= cases.length,
      { timeoutMs: 5_000, what: 'the refusals in the vault’s audit log' },
    ).catch(() => []);
    expect(refusals).toHaveLength(cases.length);
    expect(JSON.parse(refusals[0]!)).toMatchObject({ audit: 'codes.reveal_refused', caller: 'delivery', buyerId: otherBuyer.organisationId, reason: 'codes_not_found', asked: sold.codeIds.length });
  });

  it('reveals a batch in one request, each reveal recorded or refused on its own', async () => {
    const before = await revealCount();
    const body = JSON.stringify({
      reveals: [
        { buyerId: buyer.organisationId, codeIds: [sold.codeIds[0]], channel: 'stock_pull', actor: 'key-a', purpose: 'stock_pull' },
        { buyerId: otherBuyer.organisationId, codeIds: [sold.codeIds[1]], channel: 'stock_pull', actor: 'key-rival' },
        { buyerId: buyer.organisationId, codeIds: [secondOrder.codeIds[0], sold.codeIds[2]], channel: 'stock_pull', actor: 'key-b', purpose: 'stock_pull_retry' },
        { buyerId: buyer.organisationId, codeIds: [availableIds[0]], channel: 'stock_pull', actor: 'key-c' },
      ],
    });
    const path = '/internal/v1/reveal-batches';
    const token = signServiceToken('delivery', 'vault', { method: 'POST', path, body }, h.secrets.serviceKeys.delivery.privateKey);
    const response = await vault.request('POST', path, { rawJson: body, headers: { 'x-kami-service': token } });
    expect(response.status).toBe(200);
    const [a, rival, b, available] = response.body.reveals;
    expect(a.codes.map((c: { codeId: string; code: string }) => [c.codeId, uploaded.has(c.code)])).toEqual([[sold.codeIds[0], true]]);
    expect(b.codes.map((c: { codeId: string }) => c.codeId)).toEqual([secondOrder.codeIds[0], sold.codeIds[2]]);
    // Refused ones name no code and reveal nothing.
    expect([rival, available]).toEqual([{ error: 'codes_not_found' }, { error: 'codes_not_found' }]);
    expect(await revealCount()).toBe(before + 2);
    const records = await vault.query(`SELECT actor, purpose, channel, order_id, code_count FROM reveal WHERE id = ANY($1::uuid[]) ORDER BY actor`, [[a.revealId, b.revealId]]);
    expect(records).toEqual([
      { actor: 'key-a', purpose: 'stock_pull', channel: 'stock_pull', order_id: sold.orderId, code_count: 1 },
      // Codes of two orders: the record names none.
      { actor: 'key-b', purpose: 'stock_pull_retry', channel: 'stock_pull', order_id: null, code_count: 2 },
    ]);
    const revealed = await vault.query<{ code_id: string }>(`SELECT code_id::text AS code_id FROM reveal_code WHERE reveal_id = $1 ORDER BY code_id`, [b.revealId]);
    expect(revealed.map((r) => r.code_id)).toEqual([secondOrder.codeIds[0], sold.codeIds[2]].sort((x, y) => Number(x) - Number(y)));
  });

  it('refuses a malformed batch with 400 and records nothing', async () => {
    const path = '/internal/v1/reveal-batches';
    const entry = { buyerId: buyer.organisationId, codeIds: [sold.codeIds[0]], channel: 'stock_pull' };
    const before = await revealCount();
    const bad = [
      {},
      { reveals: [] },
      { reveals: [{ ...entry, orderId: sold.orderId }] },
      { reveals: [{ ...entry, codeIds: [] }] },
      { reveals: [entry, { ...entry, channel: 'carrier_pigeon' }] },
      // 1,001 codes in all, though no single reveal is over its own limit.
      { reveals: [{ ...entry, codeIds: Array.from({ length: 600 }, (_, i) => String(i + 1)) }, { ...entry, codeIds: Array.from({ length: 401 }, (_, i) => String(i + 1)) }] },
    ];
    for (const json of bad) {
      const body = JSON.stringify(json);
      const token = signServiceToken('delivery', 'vault', { method: 'POST', path, body }, h.secrets.serviceKeys.delivery.privateKey);
      expectProblem(await vault.request('POST', path, { rawJson: body, headers: { 'x-kami-service': token } }), 400, 'validation_failed');
    }
    expect(await revealCount()).toBe(before);
  });

  it('refuses malformed requests with 400 and the fields at fault', async () => {
    const bad = [
      { buyerId: buyer.organisationId, codeIds: sold.codeIds, orderId: sold.orderId, channel: 'portal' },
      { buyerId: buyer.organisationId, channel: 'portal' },
      { buyerId: buyer.organisationId, codeIds: [], channel: 'portal' },
      { buyerId: buyer.organisationId, codeIds: ['0012'], channel: 'portal' },
      { buyerId: buyer.organisationId, codeIds: Array.from({ length: 1001 }, (_, i) => String(i + 1)), channel: 'portal' },
      { buyerId: buyer.organisationId, codeIds: sold.codeIds, channel: 'carrier_pigeon' },
      { buyerId: 'not-a-uuid', codeIds: sold.codeIds, channel: 'portal' },
      { buyerId: buyer.organisationId, codeIds: sold.codeIds, channel: 'portal', unexpected: true },
    ];
    for (const body of bad) expectProblem(await reveal(body), 400, 'validation_failed');
  });
});

describe('only delivery, with a service token, may ask', () => {
  const body = (): Record<string, unknown> => ({ buyerId: buyer.organisationId, codeIds: sold.codeIds, channel: 'portal' });

  it('refuses a missing, forged, expired, misdirected, moved or replayed token with 401 service_unauthenticated', async () => {
    const before = await revealCount();
    const otherBody = JSON.stringify({ buyerId: buyer.organisationId, codeIds: [sold.codeIds[0]], channel: 'portal' });
    const tampered = (b: string): string => {
      const [claims, signature] = tokenFor(b).split('.');
      const changed = { ...JSON.parse(Buffer.from(claims!, 'base64url').toString('utf8')), exp: 9_999_999_999 };
      return `${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${signature}`;
    };
    const replayed = (() => {
      const b = JSON.stringify(body());
      return tokenFor(b);
    })();
    expect((await reveal(body(), { 'x-kami-service': replayed })).status).toBe(200);
    const headers: Record<string, (b: string) => Record<string, string>> = {
      missing: () => ({}),
      forged: (b) => ({ 'x-kami-service': tokenFor(b, { key: generateSigningKeyPair().privateKey }) }),
      'signed by the vault’s own key': (b) => ({ 'x-kami-service': tokenFor(b, { key: h.secrets.serviceKeys.vault.privateKey }) }),
      tampered: (b) => ({ 'x-kami-service': tampered(b) }),
      expired: (b) => ({ 'x-kami-service': tokenFor(b, { issuedAt: Math.floor(Date.now() / 1000) - 600 }) }),
      'for another service': (b) => ({ 'x-kami-service': tokenFor(b, { audience: 'settlement' }) }),
      'for another body': () => ({ 'x-kami-service': tokenFor(otherBody) }),
      replayed: () => ({ 'x-kami-service': replayed }),
      garbage: () => ({ 'x-kami-service': 'delivery' }),
    };
    for (const [what, header] of Object.entries(headers)) {
      const response = await reveal(body(), header);
      expect({ what, status: response.status, code: response.body?.code }).toEqual({ what, status: 401, code: 'service_unauthenticated' });
      expectNoPlaintext(response);
    }
    expect(await revealCount()).toBe(before + 1);
  });

  it('refuses a gateway identity header (even the buyer’s own, signed for the vault) with 401', async () => {
    const identity = (b: string): string =>
      signIdentityHeader(
        { organisationId: buyer.organisationId, organisationType: 'merchant', principalType: 'user', principalId: 'u-1', roles: ['admin'] },
        'vault',
        { method: 'POST', path: REVEAL_PATH, body: b },
        h.secrets.gatewayIdentity.privateKey,
      );
    const attempts: ((b: string) => Record<string, string>)[] = [(b) => ({ 'x-kami-identity': identity(b) }), (b) => ({ 'x-kami-service': identity(b) })];
    for (const headers of attempts) {
      const response = await reveal(body(), headers);
      expectProblem(response, 401, 'service_unauthenticated');
      expectNoPlaintext(response);
    }
  });

  it('refuses a service the vault does not trust with 401, even with its own genuine key', async () => {
    const response = await reveal(body(), (b) => ({ 'x-kami-service': tokenFor(b, { caller: 'ordering', key: h.secrets.serviceKeys.ordering.privateKey }) }));
    expectProblem(response, 401, 'service_unauthenticated');
    expectNoPlaintext(response);
  });

  it('is not reachable through the gateway, whoever asks', async () => {
    for (const method of ['GET', 'POST']) {
      for (const token of [undefined, buyer.token, operator.token]) {
        const response = await h.gateway.request(method, REVEAL_PATH, {
          token,
          json: method === 'POST' ? body() : undefined,
          headers: { 'x-kami-service': tokenFor(JSON.stringify(body())) },
        });
        expect({ method, status: response.status }).toEqual({ method, status: 404 });
        expectNoPlaintext(response);
      }
    }
  });

  it('logs each reveal (who, for whom, how many) but never a plaintext code', () => {
    const output = vault.process.output();
    expect(output).toMatch(/codes revealed/);
    for (const code of uploaded.keys()) expect(output).not.toContain(code);
  });
});
