import { randomUUID } from 'node:crypto';
import { eventually, startSystem, type Account, type ApiResponse, type SystemHarness } from '@kami/testing';
import { signNotification, type SandboxNotification } from '../src/payments/sandbox-provider';
import { expectLedgerConsistent } from './support/ledger-invariants';

const SANDBOX_KEY = `sandbox-test-key-${randomUUID()}`;
const TOPUP_EXPIRY_SECONDS = 2;

/**
 * Top-ups whose payment intent is never paid expire (TOPUP_EXPIRY_SECONDS, swept every
 * TOPUP_EXPIRY_SWEEP_INTERVAL_MS): the sandbox then refuses to pay them (409 topup_expired); a
 * paid one never expires, one paid whose notification was lost is found by asking the provider
 * and credited, and a notification that arrives for an expired one is credited, not dropped.
 * After every test the ledger must balance and every cached balance equal its entries.
 */
describe('top-up expiry', () => {
  let system: SystemHarness;
  let operator: Account;
  let merchant: Account;

  const settlement = (): SystemHarness['services']['settlement'] & object => system.service('settlement');
  const query = <R>(sql: string, params?: unknown[]): Promise<R[]> => settlement().query<R>(sql, params);
  const notifyUrl = (): string => `${system.gateway.url}/api/v1/settlement/providers/sandbox/notifications`;

  const wallet = async (account: Account): Promise<number> => {
    const response = await system.gateway.request('GET', '/api/v1/settlement/wallet', { token: account.token });
    expect(response.status).toBe(200);
    return (response.body.balances as { currency: string; balance: number }[]).find((b) => b.currency === 'CNY')?.balance ?? 0;
  };

  const createTopup = async (amount: number): Promise<ApiResponse> => {
    const created = await system.gateway.request('POST', '/api/v1/settlement/topups', {
      token: merchant.token,
      json: { amount, currency: 'CNY', channel: 'standard' },
      headers: { 'Idempotency-Key': randomUUID() },
    });
    expect(created.status).toBe(201);
    return created;
  };
  const getTopup = (id: string): Promise<ApiResponse> => system.gateway.request('GET', `/api/v1/settlement/topups/${id}`, { token: merchant.token });
  const sandboxPay = (id: string, query = ''): Promise<ApiResponse> => system.gateway.request('POST', `/api/v1/settlement/topups/${id}/sandbox-pay${query}`, { token: merchant.token });
  const statusOf = async (id: string): Promise<string> => (await getTopup(id)).body.status as string;
  const untilStatus = (id: string, status: string, what: string): Promise<string> => eventually(() => statusOf(id), (s) => s === status, { what, timeoutMs: 20_000 });
  const credits = async (id: string): Promise<number> =>
    (await query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transaction WHERE idempotency_ref = $1`, [`topup:${id}`]))[0]!.n;
  const notificationOutcomes = async (id: string): Promise<string[]> =>
    (await query<{ outcome: string }>(`SELECT outcome FROM provider_notification WHERE topup_id = $1 ORDER BY id`, [id])).map((r) => r.outcome);
  const post = (body: unknown): Promise<Response> => fetch(notifyUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** The sandbox's signed notification for a top-up, as it would send it. */
  const notificationFor = async (id: string, amount: number, status: SandboxNotification['trade_status']): Promise<SandboxNotification> => {
    const [row] = await query<{ provider_payment_id: string }>(`SELECT provider_payment_id FROM topup WHERE id = $1`, [id]);
    return signNotification(
      {
        notify_id: randomUUID(),
        notify_time: new Date().toISOString(),
        trade_no: row!.provider_payment_id,
        out_trade_no: id,
        total_amount: String(amount),
        currency: 'CNY',
        trade_status: status,
        sign_type: 'HMAC-SHA256',
      },
      SANDBOX_KEY,
    );
  };

  beforeAll(async () => {
    system = await startSystem({
      label: 'topexp',
      services: ['settlement'],
      serviceEnv: {
        settlement: {
          SANDBOX_PROVIDER_KEY: SANDBOX_KEY,
          TOPUP_EXPIRY_SECONDS: String(TOPUP_EXPIRY_SECONDS),
          TOPUP_EXPIRY_SWEEP_INTERVAL_MS: '200',
        },
      },
    });
    operator = await system.bootstrapOperator();
    merchant = await system.createAccount(operator.token, 'merchant');
  });

  afterEach(async () => {
    if (system) await expectLedgerConsistent(query);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('expires an unpaid top-up at its expiry; the sandbox then refuses to pay it with 409 topup_expired', async () => {
    const before = await wallet(merchant);
    const created = await createTopup(12_000);
    expect(created.body.status).toBe('pending');
    const createdAt = Date.parse(created.body.createdAt as string);
    const expiresAt = Date.parse(created.body.expiresAt as string);
    expect(expiresAt - createdAt).toBeGreaterThanOrEqual(TOPUP_EXPIRY_SECONDS * 1000 - 1000);
    expect(expiresAt - createdAt).toBeLessThanOrEqual(TOPUP_EXPIRY_SECONDS * 1000 + 1000);

    await untilStatus(created.body.id as string, 'expired', 'the unpaid top-up to expire');
    const expired = await getTopup(created.body.id as string);
    expect(expired.body).toMatchObject({ status: 'expired', expiresAt: created.body.expiresAt });
    expect(Date.parse(expired.body.settledAt as string)).toBeGreaterThanOrEqual(expiresAt);

    const pay = await sandboxPay(created.body.id as string);
    expect(pay.status).toBe(409);
    expect(pay.contentType).toMatch(/application\/problem\+json/);
    expect(pay.body).toMatchObject({ code: 'topup_expired', expiresAt: created.body.expiresAt });
    expect(await wallet(merchant)).toBe(before);
    expect(await credits(created.body.id as string)).toBe(0);
    expect(await notificationOutcomes(created.body.id as string)).toEqual([]);
  });

  it('never expires a paid top-up: credited once, still succeeded after its expiry has been swept', async () => {
    const before = await wallet(merchant);
    const paid = await createTopup(5_000);
    expect((await sandboxPay(paid.body.id as string)).status).toBe(202);
    // An unpaid one made after it: once that one has expired, a sweep has passed the paid one's expiry too.
    const marker = await createTopup(1);
    await untilStatus(paid.body.id as string, 'succeeded', 'the paid top-up to be credited');
    await untilStatus(marker.body.id as string, 'expired', 'the later unpaid top-up to expire');

    expect(await statusOf(paid.body.id as string)).toBe('succeeded');
    expect(await wallet(merchant)).toBe(before + 5_000);
    expect(await credits(paid.body.id as string)).toBe(1);
    // The sandbox notifies twice: one credit, one duplicate.
    const outcomes = await eventually(() => notificationOutcomes(paid.body.id as string), (o) => o.length >= 2, { what: 'both sandbox notifications' });
    expect(outcomes).toEqual(['credited', 'duplicate']);
    // Settled top-ups are not for paying again.
    expect((await sandboxPay(paid.body.id as string)).body.code).toBe('topup_not_pending');
  });

  it('credits a top-up whose notification was lost when the provider, asked at its expiry, reports it paid', async () => {
    const before = await wallet(merchant);
    const created = await createTopup(8_800);
    const pay = await sandboxPay(created.body.id as string, '?notification=lost');
    expect(pay.status).toBe(202);
    expect(pay.body).toMatchObject({ notification: 'lost' });
    expect((await sandboxPay(created.body.id as string, '?notification=maybe')).status).toBe(400);

    await untilStatus(created.body.id as string, 'succeeded', 'the sweep to find the payment');
    expect(await wallet(merchant)).toBe(before + 8_800);
    expect(await credits(created.body.id as string)).toBe(1);
    expect(await notificationOutcomes(created.body.id as string)).toEqual([]);

    // Should the notification turn up after all, it changes nothing.
    expect((await post(await notificationFor(created.body.id as string, 8_800, 'TRADE_SUCCESS'))).status).toBe(200);
    expect(await notificationOutcomes(created.body.id as string)).toEqual(['duplicate']);
    expect(await wallet(merchant)).toBe(before + 8_800);
  });

  it('credits a payment notified after the top-up expired (recorded credited_after_expiry), once; a closing notification changes nothing', async () => {
    const before = await wallet(merchant);
    const late = await createTopup(3_300);
    const closed = await createTopup(4_400);
    await untilStatus(late.body.id as string, 'expired', 'the top-up to expire');
    await untilStatus(closed.body.id as string, 'expired', 'the other top-up to expire');

    // The provider closes the unpaid intent and says so: nothing to do.
    expect((await post(await notificationFor(closed.body.id as string, 4_400, 'TRADE_CLOSED'))).status).toBe(200);
    expect(await statusOf(closed.body.id as string)).toBe('expired');
    expect(await notificationOutcomes(closed.body.id as string)).toEqual(['duplicate']);

    // The payer's money was taken as the intent expired: credited, not dropped; twice is still once.
    const signed = await notificationFor(late.body.id as string, 3_300, 'TRADE_SUCCESS');
    const answer = await post(signed);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ result: 'success' });
    expect((await post(signed)).status).toBe(200);
    expect(await notificationOutcomes(late.body.id as string)).toEqual(['credited_after_expiry', 'duplicate']);
    expect(await statusOf(late.body.id as string)).toBe('succeeded');
    expect(await credits(late.body.id as string)).toBe(1);
    expect(await credits(closed.body.id as string)).toBe(0);
    expect(await wallet(merchant)).toBe(before + 3_300);
  });
});
