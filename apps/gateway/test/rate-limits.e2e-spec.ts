import { eventually, startSystem, type Account, type ApiResponse, type GatewayInstance, type SystemHarness } from '@kami/testing';

/*
 * Rate limits as clients behind a proxy meet them, through real gateways (no services behind them:
 * every request here is answered by the gateway itself). Each instance has its own counters:
 * - `behindProxy` trusts loopback, where the tests connect from, so X-Forwarded-For names the client;
 * - `untrusting` trusts only 10.0.0.0/8, so the tests' loopback peer is the client whatever it claims;
 * - `logins` delays logins per account after a few failures, with a per-IP login limit out of the way.
 */

const PER_IP = 3;
const FREE_FAILURES = 3;

let h: SystemHarness;
let operator: Account;
let behindProxy: GatewayInstance;
let untrusting: GatewayInstance;
let logins: GatewayInstance;

beforeAll(async () => {
  h = await startSystem({
    label: 'ratelimits',
    services: [],
    limits: { RATE_LIMIT_PER_IP: 10_000, RATE_LIMIT_LOGIN_PER_IP: 10_000 },
    extraGateways: {
      behindProxy: { RATE_LIMIT_PER_IP: PER_IP, TRUSTED_PROXIES: 'loopback' },
      untrusting: { RATE_LIMIT_PER_IP: PER_IP, TRUSTED_PROXIES: '10.0.0.0/8' },
      logins: {
        RATE_LIMIT_PER_IP: 10_000,
        RATE_LIMIT_LOGIN_PER_IP: 10_000,
        TRUSTED_PROXIES: 'loopback',
        RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: FREE_FAILURES,
        // Long enough that the attempts checked inside a wait arrive within it on a loaded machine (a login that fails runs scrypt first).
        RATE_LIMIT_LOGIN_DELAY_SECONDS: 3,
        RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS: 60,
      },
    },
  });
  operator = await h.bootstrapOperator();
  ({ behindProxy, untrusting, logins } = h.gateways as Record<string, GatewayInstance>);
}, 90_000);

afterAll(async () => {
  await h?.stop();
});

/** A request counted against the client's bucket; the gateway answers it itself (401, no token). */
const probe = (gateway: GatewayInstance, forwardedFor: string): Promise<ApiResponse> =>
  gateway.request('GET', '/api/v1/identity/me', { headers: { 'x-forwarded-for': forwardedFor } });

const statuses = async (gateway: GatewayInstance, addresses: string[]): Promise<number[]> => {
  const answers: number[] = [];
  for (const address of addresses) answers.push((await probe(gateway, address)).status);
  return answers;
};

function expectRateLimited(response: ApiResponse): number {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status: 429, code: 'rate_limited' });
  expect(response.contentType).toMatch(/^application\/problem\+json/);
  const retryAfter = response.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  return Number(retryAfter);
}

describe('X-Forwarded-For', () => {
  it('from a trusted proxy, gives each client its own bucket', async () => {
    expect(await statuses(behindProxy, Array(PER_IP).fill('198.51.100.1'))).toEqual(Array(PER_IP).fill(401));
    expectRateLimited(await probe(behindProxy, '198.51.100.1'));
    // The proxy appends the address it saw: the client's own claim to its left is not believed.
    expectRateLimited(await probe(behindProxy, '198.51.100.77, 198.51.100.1'));
    expect(await statuses(behindProxy, ['198.51.100.2', '198.51.100.1, 198.51.100.3'])).toEqual([401, 401]);
  });

  it('from a peer that is not a trusted proxy, is ignored: the peer is the client', async () => {
    const claimed = Array.from({ length: PER_IP }, (_, i) => `203.0.113.${i + 1}`);
    expect(await statuses(untrusting, claimed)).toEqual(Array(PER_IP).fill(401));
    expectRateLimited(await probe(untrusting, '203.0.113.200'));
  });

  it('puts IPv6 clients of one /64 in one bucket, and an IPv4-mapped address with its IPv4 one', async () => {
    const sameSlash64 = ['2001:db8:a:b::1', '2001:db8:a:b:ffff:ffff:ffff:ffff', '2001:0db8:000a:000b:1:2:3:4'];
    expect(await statuses(behindProxy, sameSlash64)).toEqual(Array(PER_IP).fill(401));
    expectRateLimited(await probe(behindProxy, '2001:db8:a:b::99'));
    expect((await probe(behindProxy, '2001:db8:a:c::1')).status).toBe(401);

    expect(await statuses(behindProxy, ['192.0.2.9', '::ffff:192.0.2.9', '::ffff:c000:209'])).toEqual([401, 401, 401]);
    expectRateLimited(await probe(behindProxy, '192.0.2.9'));
  });
});

describe('logins per account', () => {
  const login = (email: string, password: string, forwardedFor: string): Promise<ApiResponse> =>
    logins.request('POST', '/api/v1/identity/sessions', { json: { email, password }, headers: { 'x-forwarded-for': forwardedFor } });
  let nextAddress = 0;
  /** Every attempt from a client address of its own: the per-IP limits never see the same client twice. */
  const anotherAddress = (): string => `100.64.${Math.floor(++nextAddress / 250)}.${(nextAddress % 250) + 1}`;

  it('after a few failures from many addresses, each further attempt waits longer than the last, answered 429 with Retry-After', async () => {
    const victim = await h.createAccount(operator.token, 'merchant');
    for (let i = 0; i < FREE_FAILURES; i++) {
      const response = await login(victim.email, `guess-${i}`, anotherAddress());
      expect({ attempt: i + 1, status: response.status, code: response.body?.code }).toEqual({ attempt: i + 1, status: 401, code: 'invalid_credentials' });
    }
    // Now the account waits, whoever asks and however the email is written; the right password included.
    const delayed = await login(` ${victim.email.toUpperCase()} `.trim(), victim.password, anotherAddress());
    const firstWait = expectRateLimited(delayed);
    expect(delayed.body.accessToken).toBeUndefined();

    // Other accounts are not held up, even from an address that just tried the delayed one.
    const address = anotherAddress();
    expectRateLimited(await login(victim.email, 'guess-again', address));
    expect((await login(operator.email, operator.password, address)).status).toBe(201);

    // Once the wait is over, one more failure buys a longer wait, and so on.
    const waits = [firstWait];
    for (let round = 0; round < 2; round++) {
      const allowed = await eventually(
        () => login(victim.email, `guess-after-wait-${round}`, anotherAddress()),
        (response) => response.status !== 429,
        { what: `the account's wait ${round + 1} to end`, intervalMs: 200 },
      );
      expect(allowed.status).toBe(401);
      waits.push(expectRateLimited(await login(victim.email, `guess-during-wait-${round}`, anotherAddress())));
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);

    // After the wait the right password logs in, and forgets the failures.
    const success = await eventually(
      () => login(victim.email, victim.password, anotherAddress()),
      (response) => response.status !== 429,
      { what: 'the last wait to end', intervalMs: 200 },
    );
    expect(success.status).toBe(201);
    expect((await login(victim.email, 'one-typo', anotherAddress())).status).toBe(401);
    expect((await login(victim.email, victim.password, anotherAddress())).status).toBe(201);
  }, 120_000);

  it('lets only one of many simultaneous guesses through once the free failures are spent', async () => {
    const victim = await h.createAccount(operator.token, 'merchant');
    for (let i = 0; i < FREE_FAILURES - 1; i++) expect((await login(victim.email, `guess-${i}`, anotherAddress())).status).toBe(401);
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => login(victim.email, `burst-${i}`, anotherAddress())));
    expect(burst.map((r) => r.status).sort()).toEqual([401, ...Array(9).fill(429)]);
  });

  it('delays an email nobody has exactly like a real account (no account oracle)', async () => {
    const nobody = `nobody-${Date.now()}@test.kami`;
    for (let i = 0; i < FREE_FAILURES; i++) expect((await login(nobody, `guess-${i}`, anotherAddress())).status).toBe(401);
    expectRateLimited(await login(nobody, 'guess', anotherAddress()));
  });
});
