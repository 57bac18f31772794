import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import { CreateOutboxAndInbox1763700000000 } from './migrations/1763700000000-CreateOutboxAndInbox';
import { CreateIdempotencyKeys1763700050000 } from './migrations/1763700050000-CreateIdempotencyKeys';
import { OutboxTraceContext1763700100000 } from './migrations/1763700100000-OutboxTraceContext';

/** Migrations every service runs before its own (outbox and inbox, Idempotency-Key records, events' trace context). */
export const PLATFORM_MIGRATIONS = [CreateOutboxAndInbox1763700000000, CreateIdempotencyKeys1763700050000, OutboxTraceContext1763700100000];

export interface ServiceDataSourceOptions {
  url: string;
  service: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: Function[];
  migrationsRun?: boolean;
  poolSize?: number;
}

/** PostgreSQL options for one service's own database. Schema changes only through migrations. */
export function serviceDataSourceOptions(options: ServiceDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: options.entities ?? [],
    migrations: [...PLATFORM_MIGRATIONS, ...(options.migrations ?? [])],
    migrationsRun: options.migrationsRun ?? false,
    migrationsTableName: 'platform_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Not 'error': TypeORM would print a failed query with its parameters (secrets, sealed codes) to
    // the console, outside the service's redacting logger. The caller's error is logged there anyway.
    logging: ['migration'],
    applicationName: `kami-${options.service}`,
    extra: { max: options.poolSize ?? 10 },
  };
}

export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  return new DataSource(serviceDataSourceOptions(options));
}

/** The `migrate` command of a service: run pending migrations and exit. */
export async function runMigrations(dataSource: DataSource, log: (line: string) => void = () => undefined): Promise<string[]> {
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    for (const migration of applied) log(`applied ${migration.name}`);
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
