import { randomUUID } from 'node:crypto';
import { generateSigningKeyPair, spawnTs, startSystem, type Account, type ApiResponse, type SystemHarness } from '@kami/testing';

/*
 * Nobody mints money. The sandbox provider credits a top-up when its payer presses a button: it
 * runs only where PAYMENT_PROVIDER=sandbox says so, never with NODE_ENV=production, and where it is
 * off its payer route does not exist and the API document does not mention it. Every channel has a
 * single-payment limit.
 */

function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
}

describe('a settlement service without the sandbox provider (the default)', () => {
  let h: SystemHarness;
  let operator: Account;
  let merchant: Account;
  let supplier: Account;

  beforeAll(async () => {
    h = await startSystem({ label: 'payments_off', services: ['settlement'], serviceEnv: { settlement: { PAYMENT_PROVIDER: 'none' } } });
    operator = await h.bootstrapOperator();
    merchant = await h.createAccount(operator.token, 'merchant', 'No Free Money Shop');
    supplier = await h.createAccount(operator.token, 'supplier', 'No Free Deposit Co');
  });
  afterAll(() => h?.stop());

  const topupRows = async (): Promise<number> => (await h.service('settlement').query<{ n: number }>(`SELECT count(*)::int AS n FROM topup`))[0]!.n;
  const ledgerRows = async (): Promise<number> => (await h.service('settlement').query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_entry`))[0]!.n;

  it('has no sandbox payer: the route is 404 for merchants and suppliers, and a top-up is 503 with nothing stored', async () => {
    const before = { topups: await topupRows(), entries: await ledgerRows() };
    for (const account of [merchant, supplier]) {
      const topup = await h.gateway.request('POST', '/api/v1/settlement/topups', {
        token: account.token,
        json: { amount: 1_000_000_000_000, currency: 'CNY', channel: 'standard' },
        headers: { 'idempotency-key': randomUUID() },
      });
      expectProblem(topup, 503, 'payment_provider_unavailable');
      const pay = await h.gateway.request('POST', `/api/v1/settlement/topups/${randomUUID()}/sandbox-pay`, { token: account.token });
      expect(pay.status).toBe(404);
      expect(pay.body?.code).not.toBe('topup_not_found');
    }
    // Nor can anyone post the sandbox's notification: there is no such provider here.
    const notify = await h.service('settlement').request('POST', '/api/v1/settlement/providers/sandbox/notifications', { json: { trade_status: 'TRADE_SUCCESS' } });
    expectProblem(notify, 404, 'unknown_payment_provider');
    expect({ topups: await topupRows(), entries: await ledgerRows() }).toEqual(before);
  });

  it('publishes no sandbox route in the API document', async () => {
    const document = await h.gateway.request('GET', '/api/docs/openapi.json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toContain('/api/v1/settlement/topups');
    expect(document.text.toLowerCase()).not.toContain('sandbox');
  });
});

describe('settlement configuration that would let money be minted', () => {
  /** A settlement environment complete enough to pass config validation (nothing is contacted before it). */
  const base: Record<string, string> = {
    LOG_LEVEL: 'warn',
    PORT: '0',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/kami_settlement_never_reached',
    KAFKA_BROKERS: '127.0.0.1:9092',
    GATEWAY_IDENTITY_PUBLIC_KEY: generateSigningKeyPair().publicKey,
    IDEMPOTENCY_FINGERPRINT_KEY: 'YW4taWRlbXBvdGVuY3ktZmluZ2VycHJpbnQta2V5LTAxMjM0NTY3ODk',
    RUN_MIGRATIONS_ON_START: 'false',
  };

  async function boot(env: Record<string, string>): Promise<{ code: number | null; named: string[] }> {
    const child = spawnTs('apps/settlement/src/main.ts', { ...base, ...env });
    let stderr = '';
    child.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    // An accepted configuration would go on to connect; that is a failure of this test, not a hang.
    const timeout = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
    const { code } = await child.exited;
    clearTimeout(timeout);
    return { code, named: [...stderr.matchAll(/^\s+- ([A-Z0-9_]+):/gm)].map((m) => m[1]!) };
  }

  it('refuses to start in production with the sandbox provider, naming the setting', async () => {
    const run = await boot({ NODE_ENV: 'production', PAYMENT_PROVIDER: 'sandbox', SANDBOX_PROVIDER_KEY: 'k'.repeat(40) });
    expect(run.code).toBe(78);
    expect(run.named).toContain('PAYMENT_PROVIDER');
  });

  it('refuses a payment channel without a limit (0 used to mean unlimited)', async () => {
    const run = await boot({ NODE_ENV: 'development', PAYMENT_PROVIDER: 'sandbox', SANDBOX_CHANNELS: 'standard:0,restricted:30000' });
    expect(run.code).toBe(78);
    expect(run.named).toEqual(['SANDBOX_CHANNELS']);
  });
});
