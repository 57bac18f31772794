import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { eventually, signServiceToken, startSystem, testInfrastructure, type Account, type ApiResponse, type ServiceInstance, type SystemHarness } from '@kami/testing';
import { endReservationFixture, reserveCodesFixture, sellCodesFixture } from './support/sell-codes';
import { seedOffer } from './support/vault-fixtures';

/*
 * Voiding, code history and offer stock, through the real gateway and vault. Codes come in through
 * the batches API; the order saga that reserves and sells them is played by SQL fixtures
 * (support/sell-codes.ts) until it exists.
 */

let h: SystemHarness;
let vault: ServiceInstance;
let redis: Redis;
let operator: Account;
let supplier: Account;
let otherSupplier: Account;
let buyer: Account;
let otherBuyer: Account;
const plaintexts: string[] = [];

function call(account: Account | undefined, method: string, path: string, json?: unknown): Promise<ApiResponse> {
  return h.gateway.request(method, `/api/v1/vault${path}`, { token: account?.token, json });
}

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

function expectNoPlaintext(response: ApiResponse): void {
  for (const code of plaintexts) expect(response.text).not.toContain(code);
}

const randomCode = (): string => Array.from({ length: 16 }, () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(Math.random() * 32)]).join('');

/** Uploads `count` codes to an offer through the API; returns the batch id and its code ids (ascending). */
async function upload(account: Account, offerId: string, count: number): Promise<{ batchId: string; codeIds: string[] }> {
  const codes = Array.from({ length: count }, () => randomCode());
  plaintexts.push(...codes);
  const response = await call(account, 'POST', '/batches', { offerId, codes: codes.map((code) => ({ code })) });
  if (response.status !== 201) throw new Error(`batch upload answered ${response.status}: ${response.text}`);
  const batchId: string = response.body.id ?? response.body.batchId;
  const rows = await vault.query<{ id: string }>(`SELECT id::text AS id FROM code WHERE batch_id = $1 ORDER BY id`, [batchId]);
  expect(rows).toHaveLength(count);
  return { batchId, codeIds: rows.map((r) => r.id) };
}

async function newOffer(owner: Account = supplier): Promise<string> {
  return (await seedOffer(vault, { supplierId: owner.organisationId })).offerId;
}

async function stockOf(offerId: string, account: Account = supplier): Promise<Record<string, unknown>> {
  const response = await call(account, 'GET', `/offers/${offerId}/stock`);
  expect(response.status).toBe(200);
  return response.body;
}

/** Invariant 2, from both sides: the counters add up, and they agree with the code table. */
async function expectNeverLost(offerId: string): Promise<void> {
  const stock = await stockOf(offerId);
  const [counted] = await vault.query<Record<string, number>>(
    `SELECT count(*)::int AS uploaded,
            count(*) FILTER (WHERE c.status = 'available')::int AS available,
            count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'held')::int AS reserved,
            count(*) FILTER (WHERE c.status = 'allocated' AND r.status = 'committed')::int AS sold,
            count(*) FILTER (WHERE c.status = 'void')::int AS void
       FROM code c LEFT JOIN reservation r ON r.id = c.reservation_id
      WHERE c.offer_id = $1`,
    [offerId],
  );
  expect({ uploaded: stock.uploaded, available: stock.available, reserved: stock.reserved, sold: stock.sold, void: stock.void }).toEqual(counted);
  expect(stock.uploaded).toBe(Number(stock.available) + Number(stock.reserved) + Number(stock.sold) + Number(stock.void));
}

async function statuses(codeIds: string[]): Promise<Record<string, string>> {
  const rows = await vault.query<{ id: string; status: string }>(`SELECT id::text AS id, status FROM code WHERE id = ANY($1::bigint[])`, [codeIds]);
  return Object.fromEntries(rows.map((r) => [r.id, r.status]));
}

/** The offer's available list in Redis, whatever the harness's key prefix is. */
async function redisAvailable(offerId: string): Promise<string[] | null> {
  let cursor = '0';
  const keys: string[] = [];
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `*o:{${offerId}}:avail`, 'COUNT', 10_000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length === 0) return null;
  return redis.lrange(keys[0]!, 0, -1);
}


beforeAll(async () => {
  // One-second stock history points, so a test sees two changes a second apart as two points.
  h = await startSystem({ label: 'vault_codes', services: ['vault'], serviceEnv: { vault: { STOCK_HISTORY_RESOLUTION_SECONDS: '1' } } });
  vault = h.service('vault');
  redis = new Redis((await testInfrastructure()).redisUrl);
  operator = await h.bootstrapOperator();
  [supplier, otherSupplier, buyer, otherBuyer] = await Promise.all([
    h.createAccount(operator.token, 'supplier', 'Void Supplier'),
    h.createAccount(operator.token, 'supplier', 'Other Supplier'),
    h.createAccount(operator.token, 'merchant', 'History Buyer'),
    h.createAccount(operator.token, 'merchant', 'Third Party Merchant'),
  ]);
}, 180_000);

afterAll(async () => {
  redis?.disconnect();
  await h?.stop();
});

describe('voiding codes', () => {
  it('voids only available codes, reports the others, and moves the offer’s counts', async () => {
    const offerId = await newOffer();
    const { codeIds } = await upload(supplier, offerId, 10);
    const sold = await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: codeIds.slice(0, 2) });
    const held = await reserveCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [codeIds[2]!], status: 'held' });
    expect(await stockOf(offerId)).toMatchObject({ offerId, uploaded: 10, available: 7, reserved: 1, sold: 2, void: 0 });

    const first = await call(supplier, 'POST', '/codes/void', { codeIds: [codeIds[3], codeIds[4]], reason: 'Publisher recalled them' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ voided: 2, notVoided: [] });

    // Sold, reserved and already void codes stay as they are; a repeated id counts once.
    const second = await call(supplier, 'POST', '/codes/void', { codeIds: [...sold.codeIds, ...held.codeIds, codeIds[3], codeIds[5], codeIds[5]] });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      voided: 1,
      notVoided: [
        { codeId: sold.codeIds[0], status: 'sold' },
        { codeId: sold.codeIds[1], status: 'sold' },
        { codeId: held.codeIds[0], status: 'reserved' },
        { codeId: codeIds[3], status: 'void' },
      ],
    });
    expect(await statuses(codeIds.slice(0, 6))).toEqual({
      [codeIds[0]!]: 'allocated',
      [codeIds[1]!]: 'allocated',
      [codeIds[2]!]: 'allocated',
      [codeIds[3]!]: 'void',
      [codeIds[4]!]: 'void',
      [codeIds[5]!]: 'void',
    });
    const [reason] = await vault.query(`SELECT void_reason FROM code WHERE id = $1`, [codeIds[3]]);
    expect(reason).toEqual({ void_reason: 'Publisher recalled them' });
    expect(await stockOf(offerId)).toMatchObject({ uploaded: 10, available: 4, reserved: 1, sold: 2, void: 3 });
    await expectNeverLost(offerId);
  });

  it('voids nothing when any listed code is not the caller’s (404, without saying which)', async () => {
    const mine = await newOffer();
    const theirs = await newOffer(otherSupplier);
    const own = await upload(supplier, mine, 3);
    const foreign = await upload(otherSupplier, theirs, 2);
    const [before, beforeTheirs] = [await stockOf(mine), await stockOf(theirs, otherSupplier)];

    for (const codeIds of [[own.codeIds[0], foreign.codeIds[0]], [own.codeIds[1], '987654321987'], ['9999999999999999999']]) {
      const response = await call(supplier, 'POST', '/codes/void', { codeIds });
      expectProblem(response, 404, 'codes_not_found');
      expect(response.text).not.toContain(`"${foreign.codeIds[0]}"`);
    }
    expectProblem(await call(otherSupplier, 'POST', '/codes/void', { codeIds: own.codeIds }), 404, 'codes_not_found');
    expect(Object.values(await statuses([...own.codeIds, ...foreign.codeIds]))).toEqual(Array(5).fill('available'));
    expect(await stockOf(mine)).toEqual(before);
    expect(await stockOf(theirs, otherSupplier)).toEqual(beforeTheirs);
  });

  it('is for suppliers only, with well-formed requests', async () => {
    const offerId = await newOffer();
    const { codeIds, batchId } = await upload(supplier, offerId, 1);
    expectProblem(await call(buyer, 'POST', '/codes/void', { codeIds }), 403, 'forbidden_organisation_type');
    expectProblem(await call(operator, 'POST', `/batches/${batchId}/void`, {}), 403, 'forbidden_organisation_type');
    expectProblem(await call(undefined, 'POST', '/codes/void', { codeIds }), 401, 'unauthenticated');
    for (const body of [{ codeIds: [] }, { codeIds: ['01'] }, { codeIds: Array.from({ length: 1001 }, (_, i) => String(i + 1)) }, { codeIds, reason: 'x'.repeat(201) }, { codeIds, force: true }, {}]) {
      expectProblem(await call(supplier, 'POST', '/codes/void', body), 400, 'validation_failed');
    }
    expect(await statuses(codeIds)).toEqual({ [codeIds[0]!]: 'available' });
  });

  it('voids a whole batch’s available codes, and Redis stops offering them', async () => {
    const offerId = await newOffer();
    const keep = await upload(supplier, offerId, 4);
    const doomed = await upload(supplier, offerId, 6);
    await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [doomed.codeIds[0]!] });
    await reserveCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [doomed.codeIds[1]!], status: 'held' });
    expectProblem(await call(otherSupplier, 'POST', `/batches/${doomed.batchId}/void`, {}), 404, 'batch_not_found');
    expectProblem(await call(supplier, 'POST', `/batches/${randomUUID()}/void`, {}), 404, 'batch_not_found');

    const response = await call(supplier, 'POST', `/batches/${doomed.batchId}/void`, { reason: 'Whole print run withdrawn' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ batchId: doomed.batchId, offerId, voided: 4, unaffected: { reserved: 1, sold: 1, void: 0 } });
    expect(await stockOf(offerId)).toMatchObject({ uploaded: 10, available: 4, reserved: 1, sold: 1, void: 4 });
    await expectNeverLost(offerId);

    // Again: nothing left to void.
    const again = await call(supplier, 'POST', `/batches/${doomed.batchId}/void`, {});
    expect(again.body).toEqual({ batchId: doomed.batchId, offerId, voided: 0, unaffected: { reserved: 1, sold: 1, void: 4 } });

    // The offer was rebuilt in Redis from PostgreSQL: only the other batch's codes are on offer.
    expect((await redisAvailable(offerId))?.sort()).toEqual([...keep.codeIds].sort());
    // Voiding listed codes drops them from the loaded offer too.
    const listed = await call(supplier, 'POST', '/codes/void', { codeIds: keep.codeIds.slice(0, 2) });
    expect(listed.body.voided).toBe(2);
    expect((await redisAvailable(offerId))?.sort()).toEqual(keep.codeIds.slice(2).sort());
    await expectNeverLost(offerId);

    // Void is final: a rebuild from PostgreSQL never brings them back.
    await call(supplier, 'POST', `/batches/${keep.batchId}/void`, {});
    expect((await redisAvailable(offerId)) ?? []).toEqual([]);
    expect(new Set(Object.values(await statuses([...doomed.codeIds.slice(2), ...keep.codeIds.slice(0, 2)])))).toEqual(new Set(['void']));
  });

  it('refuses to void a batch that is not completed (409)', async () => {
    const offerId = await newOffer();
    const batchId = randomUUID();
    // A batch still being received, as the ingest job leaves it mid-way.
    await vault.query(
      `INSERT INTO batch (id, offer_id, supplier_id, product_id, source, status, created_by)
       SELECT $1, offer_id, supplier_id, product_id, 'csv', 'receiving', 'test' FROM vault_offer WHERE offer_id = $2`,
      [batchId, offerId],
    );
    expectProblem(await call(supplier, 'POST', `/batches/${batchId}/void`, {}), 409, 'batch_not_completed');
  });
});

describe('a code’s history', () => {
  it('tells the supplier and the buyer what happened, each only what is theirs to know', async () => {
    const offerId = await newOffer();
    const { codeIds } = await upload(supplier, offerId, 3);
    const [code] = codeIds;
    // First an order reserves it and lets it go, then another expires, then the buyer buys it and it is revealed.
    const releasedBy = await reserveCodesFixture(vault, { offerId, buyerId: otherBuyer.organisationId, codeIds: [code!], status: 'held' });
    await endReservationFixture(vault, releasedBy.lineId, 'released');
    const expiredFor = await reserveCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [code!], status: 'held' });
    await endReservationFixture(vault, expiredFor.lineId, 'expired');
    const sale = await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [code!] });
    const revealBody = JSON.stringify({ buyerId: buyer.organisationId, codeIds: [code], channel: 'stock_pull' });
    const revealed = await vault.request('POST', '/internal/v1/reveals', {
      rawJson: revealBody,
      headers: { 'x-kami-service': signServiceToken('delivery', 'vault', { method: 'POST', path: '/internal/v1/reveals', body: revealBody }, h.secrets.serviceKeys.delivery.privateKey) },
    });
    expect(revealed.status).toBe(200);

    const asSupplier = await call(supplier, 'GET', `/codes/${code}/history`);
    expect(asSupplier.status).toBe(200);
    expect(asSupplier.body).toMatchObject({ codeId: code, offerId, status: 'sold', expiresAt: null });
    expect(asSupplier.body.events.map((e: { type: string }) => e.type)).toEqual(['uploaded', 'reserved', 'released', 'reserved', 'expired', 'reserved', 'sold', 'revealed']);
    expect(asSupplier.body.events.at(-1)).toEqual({ type: 'revealed', at: expect.any(String), channel: 'stock_pull' });
    // Not to whom, nor which orders.
    for (const hidden of [sale.orderId, releasedBy.orderId, expiredFor.orderId, buyer.organisationId, otherBuyer.organisationId]) expect(asSupplier.text).not.toContain(hidden);
    const times = asSupplier.body.events.map((e: { at: string }) => e.at);
    expect([...times].sort()).toEqual(times);

    const asBuyer = await call(buyer, 'GET', `/codes/${code}/history`);
    expect(asBuyer.status).toBe(200);
    expect(asBuyer.body.events).toEqual([
      { type: 'uploaded', at: expect.any(String) },
      { type: 'reserved', at: expect.any(String), orderId: expiredFor.orderId },
      { type: 'expired', at: expect.any(String), orderId: expiredFor.orderId },
      { type: 'reserved', at: expect.any(String), orderId: sale.orderId },
      { type: 'sold', at: expect.any(String), orderId: sale.orderId },
      { type: 'revealed', at: expect.any(String), orderId: sale.orderId, channel: 'stock_pull' },
    ]);
    expect(asBuyer.text).not.toContain(releasedBy.orderId);

    const asOperator = await call(operator, 'GET', `/codes/${code}/history`);
    expect(asOperator.body.events.filter((e: { orderId?: string }) => e.orderId).map((e: { orderId: string }) => e.orderId)).toEqual([
      releasedBy.orderId,
      releasedBy.orderId,
      expiredFor.orderId,
      expiredFor.orderId,
      sale.orderId,
      sale.orderId,
      sale.orderId,
    ]);

    for (const response of [asSupplier, asBuyer, asOperator]) expectNoPlaintext(response);
  });

  it('is 404 for anyone else: another merchant, another supplier, the buyer of a code still only reserved', async () => {
    const offerId = await newOffer();
    const { codeIds } = await upload(supplier, offerId, 3);
    await sellCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [codeIds[0]!] });
    await reserveCodesFixture(vault, { offerId, buyerId: buyer.organisationId, codeIds: [codeIds[1]!], status: 'held' });
    expect((await call(buyer, 'GET', `/codes/${codeIds[0]}/history`)).status).toBe(200);
    expectProblem(await call(otherBuyer, 'GET', `/codes/${codeIds[0]}/history`), 404, 'code_not_found');
    expectProblem(await call(otherSupplier, 'GET', `/codes/${codeIds[0]}/history`), 404, 'code_not_found');
    expectProblem(await call(buyer, 'GET', `/codes/${codeIds[1]}/history`), 404, 'code_not_found');
    expectProblem(await call(buyer, 'GET', `/codes/${codeIds[2]}/history`), 404, 'code_not_found');
    expectProblem(await call(supplier, 'GET', '/codes/987654321987/history'), 404, 'code_not_found');
    expectProblem(await call(supplier, 'GET', '/codes/9999999999999999999/history'), 404, 'code_not_found');
    expectProblem(await call(supplier, 'GET', '/codes/abc/history'), 400, 'validation_failed');
    expect((await call(supplier, 'GET', `/codes/${codeIds[1]}/history`)).body).toMatchObject({ status: 'reserved' });
    expect((await call(supplier, 'GET', `/codes/${codeIds[2]}/history`)).body).toMatchObject({ status: 'available', events: [{ type: 'uploaded', at: expect.any(String) }] });
  });

  it('shows a voided code as void, with when', async () => {
    const offerId = await newOffer();
    const { codeIds } = await upload(supplier, offerId, 1);
    await call(supplier, 'POST', '/codes/void', { codeIds });
    const response = await call(supplier, 'GET', `/codes/${codeIds[0]}/history`);
    expect(response.body).toMatchObject({ status: 'void', events: [{ type: 'uploaded' }, { type: 'voided' }] });
  });
});

describe('an offer’s stock', () => {
  it('shows zeros before any upload, the counts after, to the supplier and operators only', async () => {
    const offerId = await newOffer();
    expect(await stockOf(offerId)).toEqual({ offerId, uploaded: 0, available: 0, reserved: 0, sold: 0, void: 0, updatedAt: null });
    await upload(supplier, offerId, 2);
    const stock = await stockOf(offerId);
    expect(stock).toEqual({ offerId, uploaded: 2, available: 2, reserved: 0, sold: 0, void: 0, updatedAt: expect.any(String) });
    expect(await stockOf(offerId, operator)).toEqual(stock);
    expectProblem(await call(otherSupplier, 'GET', `/offers/${offerId}/stock`), 404, 'offer_not_found');
    expectProblem(await call(supplier, 'GET', `/offers/${randomUUID()}/stock`), 404, 'offer_not_found');
    expectProblem(await call(buyer, 'GET', `/offers/${offerId}/stock`), 403, 'forbidden_organisation_type');
  });
});

describe('an offer’s stock over time', () => {
  interface Point {
    at: string;
    uploaded: number;
    available: number;
    reserved: number;
    sold: number;
    void: number;
  }
  const historyOf = async (offerId: string, query = '', account: Account = supplier): Promise<Point[]> => {
    const response = await call(account, 'GET', `/offers/${offerId}/stock/history${query}`);
    expect(response.status).toBe(200);
    return response.body.points;
  };
  const iso = (ms: number): string => new Date(ms).toISOString();

  it('records the counts as they change, and answers a period with its starting level, one point per slice', async () => {
    const startedAt = Date.now() - 1000;
    const offerId = await newOffer();
    const empty = await call(supplier, 'GET', `/offers/${offerId}/stock/history`);
    expect(empty.body).toEqual({ offerId, from: expect.any(String), to: expect.any(String), resolutionSeconds: 1, points: [] });

    await upload(supplier, offerId, 5);
    const [uploaded] = await eventually(() => historyOf(offerId), (points) => points.length === 1, { what: 'the upload in the history' });
    expect(uploaded).toMatchObject({ uploaded: 5, available: 5, reserved: 0, sold: 0, void: 0 });

    // The history keeps the last counts of each second: the void must fall in the next one to be a point of its own.
    const nextBucket = (Math.floor(Date.parse(uploaded!.at) / 1000) + 1) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextBucket - Date.now() + 50)));
    const ids = (await vault.query<{ id: string }>(`SELECT id::text AS id FROM code WHERE offer_id = $1 ORDER BY id LIMIT 2`, [offerId])).map((r) => r.id);
    expect((await call(supplier, 'POST', '/codes/void', { codeIds: ids, reason: 'supplier recalled them' })).status).toBe(200);
    // A period of a few seconds in 1,000 slices: a point per change.
    const recent = `?from=${iso(startedAt)}&to=${iso(Date.now() + 60_000)}&points=1000`;
    const points = await eventually(() => historyOf(offerId, recent), (p) => p.length === 2, { what: 'the void in the history' });
    expect(points).toEqual([uploaded, { at: expect.any(String), uploaded: 5, available: 3, reserved: 0, sold: 0, void: 2 }]);
    const [first, second] = points.map((p) => Date.parse(p.at)) as [number, number];
    expect(second).toBeGreaterThan(first);

    // A period starting between the two: the level at its start (stamped with it), then the void.
    const between = iso(first + 1);
    expect(await historyOf(offerId, `?from=${between}&to=${iso(second + 1)}&points=1000`)).toEqual([{ ...uploaded, at: between }, points[1]]);
    // A period after both: only the level it started with.
    const after = iso(second + 1);
    expect(await historyOf(offerId, `?from=${after}&to=${iso(second + 60_000)}`)).toEqual([{ ...points[1], at: after }]);
    // By default the last 7 days in 200 slices: both changes fall in the last slice, which answers its last counts.
    expect(await historyOf(offerId)).toEqual([points[1]]);
    // Operators see it too; nobody else does.
    expect(await historyOf(offerId, recent, operator)).toEqual(points);
    expectProblem(await call(otherSupplier, 'GET', `/offers/${offerId}/stock/history`), 404, 'offer_not_found');
    expectProblem(await call(buyer, 'GET', `/offers/${offerId}/stock/history`), 403, 'forbidden_organisation_type');
  });

  it('refuses a period that ends before it starts or spans more than 400 days, and a slice count out of range', async () => {
    const offerId = await newOffer();
    const now = Date.now();
    expectProblem(await call(supplier, 'GET', `/offers/${offerId}/stock/history?from=${iso(now)}&to=${iso(now - 1)}`), 400, 'invalid_period');
    expectProblem(await call(supplier, 'GET', `/offers/${offerId}/stock/history?from=${iso(now - 401 * 86_400_000)}&to=${iso(now)}`), 400, 'invalid_period');
    expectProblem(await call(supplier, 'GET', `/offers/${offerId}/stock/history?points=1`), 400, 'validation_failed');
    expectProblem(await call(supplier, 'GET', `/offers/${offerId}/stock/history?from=yesterday`), 400, 'validation_failed');
  });
});
