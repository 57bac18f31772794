import { OrganisationRegistered, type OrganisationType } from '@kami/contracts';
import { createLogger, createServiceDataSource, loadConfigOrExit, OutboxWriter } from '@kami/platform';
import { GatewayConfig } from '../config/gateway.config';
import { GATEWAY_ENTITIES, GATEWAY_MIGRATIONS } from '../database/gateway.migrations';
import { hashApiKeySecret, hashPassword, parseApiKey } from '../identity/credentials';

/**
 * Demo data for `npm start`: one operator, one supplier and one merchant, each with a login and
 * an API key. The keys are fixed so the printed values stay valid across restarts; that is why
 * the seed refuses to run with NODE_ENV=production. Idempotent: existing rows are left alone.
 */
export const DEMO_ACCOUNTS: { type: OrganisationType; id: string; name: string; userId: string; email: string; password: string; apiKeyId: string; apiKey: string }[] = [
  {
    type: 'operator',
    id: '00000000-0000-4000-8000-000000000001',
    name: 'Kami Operations',
    userId: '00000000-0000-4000-8000-000000000011',
    email: 'operator@demo.kami',
    password: 'demo-operator-pass',
    apiKeyId: '00000000-0000-4000-8000-000000000021',
    apiKey: 'kami_de0000000001_demo-operator-key-not-for-production',
  },
  {
    type: 'supplier',
    id: '00000000-0000-4000-8000-000000000002',
    name: '深圳卡源科技 (Demo Supplier)',
    userId: '00000000-0000-4000-8000-000000000012',
    email: 'supplier@demo.kami',
    password: 'demo-supplier-pass',
    apiKeyId: '00000000-0000-4000-8000-000000000022',
    apiKey: 'kami_de0000000002_demo-supplier-key-not-for-production',
  },
  {
    type: 'merchant',
    id: '00000000-0000-4000-8000-000000000003',
    name: '小鹿游戏点卡店 (Demo Merchant)',
    userId: '00000000-0000-4000-8000-000000000013',
    email: 'merchant@demo.kami',
    password: 'demo-merchant-pass',
    apiKeyId: '00000000-0000-4000-8000-000000000023',
    apiKey: 'kami_de0000000003_demo-merchant-key-not-for-production',
  },
];

async function seed(): Promise<void> {
  const config = loadConfigOrExit(GatewayConfig, 'gateway-seed');
  const logger = createLogger('gateway-seed', config.LOG_LEVEL);
  if (config.NODE_ENV === 'production') {
    logger.error('the demo seed never runs in production');
    process.exit(1);
  }
  const dataSource = createServiceDataSource({ url: config.DATABASE_URL, service: 'gateway-seed', entities: GATEWAY_ENTITIES, migrations: GATEWAY_MIGRATIONS });
  await dataSource.initialize();
  const outbox = new OutboxWriter();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    for (const account of DEMO_ACCOUNTS) {
      await dataSource.transaction(async (manager) => {
        const created: unknown[] = await manager.query(
          `INSERT INTO organisation (id, name, type) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [account.id, account.name, account.type],
        );
        if (created.length === 0) return;
        await manager.query(
          `INSERT INTO app_user (id, organisation_id, email, password_hash, roles) VALUES ($1, $2, $3, $4, $5)`,
          [account.userId, account.id, account.email, await hashPassword(account.password), ['admin']],
        );
        const key = parseApiKey(account.apiKey)!;
        await manager.query(
          `INSERT INTO api_key (id, organisation_id, name, prefix, secret_hash, roles, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [account.apiKeyId, account.id, 'Demo key', key.prefix, hashApiKeySecret(key.secret), ['member'], account.userId],
        );
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
  const printable = DEMO_ACCOUNTS.map(({ type, email, password, apiKey }) => ({ type, email, password, apiKey }));
  process.stdout.write(`${JSON.stringify({ demoAccounts: printable })}\n`);
}

if (require.main === module) {
  seed().catch((error: unknown) => {
    process.stderr.write(`demo seed failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
