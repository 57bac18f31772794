import { randomBytes, randomUUID } from 'node:crypto';
import { startSystem, type Account, type ApiResponse, type JsonBody, type SystemHarness } from '@kami/testing';
import { seedOffer } from './support/vault-fixtures';

/*
 * The duplicate check is no oracle for whose codes are in the vault: a line whose code another
 * supplier already holds is refused like any duplicate (the report never says whose it was), is
 * recorded for operators (the strongest fraud signal: one card sold twice), and a batch with more
 * than BATCH_FOREIGN_DUPLICATE_HOLD_SHARE of such lines is held for operator review, its codes
 * not on sale until an operator releases it (or rejects it: its codes go).
 */

const CODE_PATTERN = '[A-Z0-9]{4}(-[A-Z0-9]{4}){3}';
let serial = 0;
const code = (): string => {
  const tail = (++serial).toString(36).toUpperCase().padStart(4, '0');
  const head = randomBytes(6).toString('hex').toUpperCase();
  return `${head.slice(0, 4)}-${head.slice(4, 8)}-${head.slice(8, 12)}-${tail}`;
};

let h: SystemHarness;
let operator: Account;
let holder: Account;
let prober: Account;

function api(account: Account, method: string, path: string, json?: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
  return h.gateway.request(method, `/api/v1/vault${path}`, { token: account.token, json, headers });
}

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

async function offerOf(supplier: Account): Promise<string> {
  return (await seedOffer(h.service('vault'), { supplierId: supplier.organisationId, codePattern: CODE_PATTERN })).offerId;
}

async function upload(supplier: Account, offerId: string, codes: string[]): Promise<ApiResponse> {
  const response = await api(supplier, 'POST', '/batches', { offerId, codes: codes.map((c) => ({ code: c })) }, { 'idempotency-key': randomUUID() });
  if (response.status !== 201) throw new Error(`inline upload answered ${response.status}: ${response.text}`);
  return response;
}

async function available(supplier: Account, offerId: string): Promise<number> {
  const response = await api(supplier, 'GET', `/offers/${offerId}/stock`);
  if (response.status !== 200) throw new Error(`stock answered ${response.status}: ${response.text}`);
  return response.body.available;
}

beforeAll(async () => {
  h = await startSystem({ label: 'duplicate_signals', services: ['vault'], limits: { RATE_LIMIT_PER_IP: 100_000 } });
  operator = await h.bootstrapOperator();
  [holder, prober] = await Promise.all([h.createAccount(operator.token, 'supplier'), h.createAccount(operator.token, 'supplier')]);
}, 120_000);

afterAll(async () => {
  await h?.stop();
});

describe('codes another supplier holds', () => {
  it('holds a batch that is mostly other suppliers’ codes for review, tells the uploader nothing of whose they were, and shows operators every such line', async () => {
    const holderOffer = await offerOf(holder);
    const held = [code(), code(), code(), code()];
    const holderBatch = (await upload(holder, holderOffer, held)).body;
    expect(holderBatch).toMatchObject({ status: 'completed', accepted: 4 });

    // Three of four lines are the holder's codes: far above the share that holds a batch.
    const proberOffer = await offerOf(prober);
    const fresh = code();
    const probe = await upload(prober, proberOffer, [held[0]!, held[1]!, fresh, held[2]!]);
    expect(probe.body).toMatchObject({ status: 'held', accepted: 1, refused: { duplicate_in_vault: 3 } });
    const refusals = await api(prober, 'GET', `/batches/${probe.body.id}/refusals`);
    expect(refusals.body.items).toEqual([
      { line: 1, reason: 'duplicate_in_vault' },
      { line: 2, reason: 'duplicate_in_vault' },
      { line: 4, reason: 'duplicate_in_vault' },
    ]);
    const seenByProber = [probe.text, refusals.text, (await api(prober, 'GET', `/batches/${probe.body.id}`)).text].join('\n');
    for (const secret of [holder.organisationId, holderOffer, holderBatch.id]) expect(seenByProber).not.toContain(secret);
    // Held: nothing of it is on sale.
    expect(await available(prober, proberOffer)).toBe(0);

    // Operators see each line, with whose code it was; suppliers do not see the list at all.
    const signals = await api(operator, 'GET', `/duplicate-signals?batchId=${probe.body.id}`);
    expect(signals.status).toBe(200);
    expect(signals.body.items.map((s: JsonBody) => [s.line, s.supplierId, s.holderSupplierId, s.holderOfferId, s.batchId]).sort((a: number[], b: number[]) => a[0]! - b[0]!)).toEqual([
      [1, prober.organisationId, holder.organisationId, holderOffer, probe.body.id],
      [2, prober.organisationId, holder.organisationId, holderOffer, probe.body.id],
      [4, prober.organisationId, holder.organisationId, holderOffer, probe.body.id],
    ]);
    for (const supplier of [prober, holder]) expectProblem(await api(supplier, 'GET', `/duplicate-signals?batchId=${probe.body.id}`), 403, 'forbidden_organisation_type');
    expectProblem(await api(prober, 'POST', `/batches/${probe.body.id}/release`), 403, 'forbidden_organisation_type');

    // The operator releases it: the one new code goes on sale. Releasing again is 409.
    const released = await api(operator, 'POST', `/batches/${probe.body.id}/release`);
    expect([released.status, released.body.status]).toEqual([200, 'completed']);
    expect(await available(prober, proberOffer)).toBe(1);
    expectProblem(await api(operator, 'POST', `/batches/${probe.body.id}/release`), 409, 'batch_not_held');
  });

  it('rejects a held batch on an operator’s word: its codes go, so its lines can be uploaded again', async () => {
    const holderOffer = await offerOf(holder);
    const held = [code(), code()];
    await upload(holder, holderOffer, held);
    const proberOffer = await offerOf(prober);
    const fresh = code();
    const probe = (await upload(prober, proberOffer, [held[0]!, held[1]!, fresh])).body;
    expect(probe.status).toBe('held');

    const rejected = await api(operator, 'POST', `/batches/${probe.id}/reject`);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'failed', failure: { code: 'rejected_in_review' } });
    expect(await h.service('vault').query(`SELECT id FROM code WHERE batch_id = $1`, [probe.id])).toEqual([]);
    expect(await available(prober, proberOffer)).toBe(0);
    // Its new code was never kept: the holder (or anyone) may upload it.
    expect((await upload(holder, holderOffer, [fresh])).body).toMatchObject({ status: 'completed', accepted: 1 });
  });

  it('records a few such lines for operators without holding the batch, and never records a supplier’s own duplicates', async () => {
    const holderOffer = await offerOf(holder);
    const held = code();
    await upload(holder, holderOffer, [held]);
    const proberOffer = await offerOf(prober);
    // One line of 25 (4 %): below the share, the batch completes.
    const mostlyNew = [held, ...Array.from({ length: 24 }, code)];
    const batch = (await upload(prober, proberOffer, mostlyNew)).body;
    expect(batch).toMatchObject({ status: 'completed', accepted: 24, refused: { duplicate_in_vault: 1 } });
    const signals = await api(operator, 'GET', `/duplicate-signals?batchId=${batch.id}`);
    expect(signals.body.items.map((s: JsonBody) => [s.line, s.holderSupplierId])).toEqual([[1, holder.organisationId]]);

    // The holder uploading its own code again is an ordinary duplicate: nothing for operators, nothing held.
    const again = (await upload(holder, holderOffer, [held, code()])).body;
    expect(again).toMatchObject({ status: 'completed', accepted: 1, refused: { duplicate_in_vault: 1 } });
    expect((await api(operator, 'GET', `/duplicate-signals?batchId=${again.id}`)).body.items).toEqual([]);
  });
});
