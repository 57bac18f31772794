import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createTestDatabase, spawnTs, type TestDatabase } from '@kami/testing';
import { verifyPassword } from '../src/identity/credentials';

/*
 * The demo seed against a real gateway database: it runs only when asked for by name and never in
 * production, and the logins and API keys it prints are this checkout's own (derived from its
 * DEMO_CREDENTIALS_SECRET), not values published in the source that would open any installation.
 */

interface DemoAccount {
  type: string;
  email: string;
  password: string;
  apiKey: string;
}

describe('the demo seed', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('demo_seed');
  });
  afterAll(() => database?.drop());

  async function runSeed(env: Record<string, string | undefined>): Promise<{ code: number | null; accounts: DemoAccount[] }> {
    const seed = spawnTs('apps/gateway/src/seed/demo-seed.ts', { LOG_LEVEL: 'warn', NODE_ENV: 'development', DATABASE_URL: database.url, KAMI_SEED: undefined, DEMO_CREDENTIALS_SECRET: undefined, ...env });
    const { code } = await seed.exited;
    const line = seed.output().split('\n').find((l) => l.startsWith('{"demoAccounts"'));
    return { code, accounts: line ? (JSON.parse(line) as { demoAccounts: DemoAccount[] }).demoAccounts : [] };
  }

  async function storedPasswordHash(email: string): Promise<string | undefined> {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const rows = await client.query<{ password_hash: string }>(`SELECT password_hash FROM app_user WHERE email = $1`, [email]).catch(() => ({ rows: [] }));
      return rows.rows[0]?.password_hash;
    } finally {
      await client.end();
    }
  }

  it('runs only when asked for by name, and never in production', async () => {
    const secret = randomBytes(32).toString('base64url');
    expect((await runSeed({ DEMO_CREDENTIALS_SECRET: secret })).code).toBe(1);
    expect((await runSeed({ KAMI_SEED: 'demo', DEMO_CREDENTIALS_SECRET: secret, NODE_ENV: 'production' })).code).toBe(1);
    expect(await storedPasswordHash('operator@demo.kami')).toBeUndefined();
  });

  it("prints this checkout's own credentials, which another checkout's seed replaces", async () => {
    const first = await runSeed({ KAMI_SEED: 'demo', DEMO_CREDENTIALS_SECRET: randomBytes(32).toString('base64url') });
    expect(first.code).toBe(0);
    expect(first.accounts.map((a) => a.type)).toEqual(['operator', 'supplier', 'merchant']);
    const operator = first.accounts[0]!;
    // Not the values the source once published, nor anything else a reader of the source could know.
    expect(operator.password).not.toBe('demo-operator-pass');
    expect(operator.apiKey).not.toContain('not-for-production');
    expect(await verifyPassword(operator.password, (await storedPasswordHash(operator.email))!)).toBe(true);

    const second = await runSeed({ KAMI_SEED: 'demo', DEMO_CREDENTIALS_SECRET: randomBytes(32).toString('base64url') });
    expect(second.code).toBe(0);
    const operatorAgain = second.accounts[0]!;
    expect(operatorAgain.password).not.toBe(operator.password);
    expect(operatorAgain.apiKey).not.toBe(operator.apiKey);
    const hash = (await storedPasswordHash(operator.email))!;
    expect(await verifyPassword(operatorAgain.password, hash)).toBe(true);
    expect(await verifyPassword(operator.password, hash)).toBe(false);
  });
});
