import { createHmac } from 'node:crypto';
import { OrganisationRegistered, type OrganisationType } from '@kami/contracts';
import { createLogger, createServiceDataSource, loadConfigOrExit, OutboxWriter } from '@kami/platform';
import { IsIn, Matches } from 'class-validator';
import { GATEWAY_ENTITIES, GATEWAY_MIGRATIONS } from '../database/gateway.migrations';
import { DEFAULT_SCOPES, type ApiKeyScope } from '../identity/api-keys/api-key-scopes';
import { hashApiKeySecret, hashPassword, parseApiKey } from '../identity/credentials';

/**
 * Demo data for `npm start`: one operator, one supplier and one merchant, each with a login and
 * an API key. Their passwords and keys are not in the source: they are derived from
 * DEMO_CREDENTIALS_SECRET, which `npm start` makes once per checkout (.stack/dev-secrets.env), so
 * no published login opens any installation. Each run sets the stored hashes to the credentials
 * it prints (they stay valid across restarts). It runs only when asked for by name
 * (`KAMI_SEED=demo`) and never with NODE_ENV=production.
 */
const DEMO_ORGANISATIONS: { type: OrganisationType; id: string; name: string; userId: string; email: string; apiKeyId: string; apiKeyPrefix: string }[] = [
  { type: 'operator', id: '00000000-0000-4000-8000-000000000001', name: 'Kami Operations', userId: '00000000-0000-4000-8000-000000000011', email: 'operator@demo.kami', apiKeyId: '00000000-0000-4000-8000-000000000021', apiKeyPrefix: 'de0000000001' },
  { type: 'supplier', id: '00000000-0000-4000-8000-000000000002', name: '深圳卡源科技 (Demo Supplier)', userId: '00000000-0000-4000-8000-000000000012', email: 'supplier@demo.kami', apiKeyId: '00000000-0000-4000-8000-000000000022', apiKeyPrefix: 'de0000000002' },
  { type: 'merchant', id: '00000000-0000-4000-8000-000000000003', name: '小鹿游戏点卡店 (Demo Merchant)', userId: '00000000-0000-4000-8000-000000000013', email: 'merchant@demo.kami', apiKeyId: '00000000-0000-4000-8000-000000000023', apiKeyPrefix: 'de0000000003' },
];

/**
 * The demo keys' scopes: a storefront's defaults plus reading the wallet; the supplier's also lists
 * offers and funds its deposit (`npm start` does both with it).
 */
const DEMO_KEY_SCOPES: Record<OrganisationType, ApiKeyScope[]> = {
  merchant: [...DEFAULT_SCOPES.merchant, 'wallet:read'],
  supplier: [...DEFAULT_SCOPES.supplier, 'offers:write', 'wallet:read', 'topups:write'],
  operator: [...DEFAULT_SCOPES.operator],
};

/** The demo accounts with this checkout's credentials (HMAC of the per-checkout secret: stable across restarts, unguessable elsewhere). */
export function demoAccounts(credentialsSecret: string): ((typeof DEMO_ORGANISATIONS)[number] & { password: string; apiKey: string })[] {
  const derive = (purpose: string, length: number): string => createHmac('sha256', credentialsSecret).update(purpose).digest('base64url').slice(0, length);
  return DEMO_ORGANISATIONS.map((o) => ({
    ...o,
    password: `demo-${o.type}-${derive(`password:${o.type}`, 12)}`,
    apiKey: `kami_${o.apiKeyPrefix}_${derive(`api-key:${o.type}`, 40)}`,
  }));
}

/** What the seed reads: the gateway's database, and whether this is production (it never seeds that). */
class DemoSeedConfig {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @Matches(/^postgres(ql)?:\/\/.+\/[A-Za-z0-9_]+(\?.*)?$/, { message: 'DATABASE_URL must be a postgres:// URL naming a database' })
  DATABASE_URL!: string;
}

async function seed(): Promise<void> {
  const config = loadConfigOrExit(DemoSeedConfig, 'gateway-seed');
  const logger = createLogger('gateway-seed', config.LOG_LEVEL);
  if (config.NODE_ENV === 'production') {
    logger.error('the demo seed never runs in production');
    process.exit(1);
  }
  if (process.env.KAMI_SEED !== 'demo') {
    logger.error('the demo seed runs only when asked for by name: KAMI_SEED=demo');
    process.exit(1);
  }
  const credentialsSecret = process.env.DEMO_CREDENTIALS_SECRET ?? '';
  if (credentialsSecret.length < 32) {
    logger.error('DEMO_CREDENTIALS_SECRET (at least 32 characters, made per checkout by npm start) is required');
    process.exit(1);
  }
  const accounts = demoAccounts(credentialsSecret);
  const dataSource = createServiceDataSource({ url: config.DATABASE_URL, service: 'gateway-seed', entities: GATEWAY_ENTITIES, migrations: GATEWAY_MIGRATIONS });
  await dataSource.initialize();
  const outbox = new OutboxWriter();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    for (const account of accounts) {
      await dataSource.transaction(async (manager) => {
        const created: unknown[] = await manager.query(
          `INSERT INTO organisation (id, name, type) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [account.id, account.name, account.type],
        );
        const key = parseApiKey(account.apiKey)!;
        // This run's credentials replace whatever an earlier checkout's seed stored.
        await manager.query(
          `INSERT INTO app_user (id, organisation_id, email, password_hash, roles) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
          [account.userId, account.id, account.email, await hashPassword(account.password), ['admin']],
        );
        await manager.query(
          `INSERT INTO api_key (id, organisation_id, name, prefix, secret_hash, roles, scopes, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes`,
          [account.apiKeyId, account.id, 'Demo key', key.prefix, hashApiKeySecret(key.secret), ['member'], DEMO_KEY_SCOPES[account.type], account.userId],
        );
        if (created.length === 0) return;
        await outbox.append(manager, OrganisationRegistered, {
          aggregateId: account.id,
          payload: { organisationId: account.id, type: account.type, name: account.name },
        });
        logger.info({ organisation: account.name }, 'demo organisation created');
      });
    }
  } finally {
    await dataSource.destroy();
  }
  // For `npm start` to print: development-only credentials, never real ones.
  const printable = accounts.map(({ type, email, password, apiKey }) => ({ type, email, password, apiKey }));
  process.stdout.write(`${JSON.stringify({ demoAccounts: printable })}\n`);
}

if (require.main === module) {
  seed().catch((error: unknown) => {
    process.stderr.write(`demo seed failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
