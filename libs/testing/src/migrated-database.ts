import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from './isolation';

export interface MigratedTestDatabase {
  database: TestDatabase;
  dataSource: DataSource;
  /** Closes the data source and drops the database. */
  dispose(): Promise<void>;
}

/**
 * A fresh database for one test file with the real migrations applied, exactly as a service gets
 * them at start. `dataSourceFor` builds the service's data source for a URL (usually
 * `(url) => createServiceDataSource({ url, service, migrations })` from the platform kit; passed
 * in so this harness does not depend on the platform, whose own tests use it).
 */
export async function createMigratedTestDatabase(label: string, dataSourceFor: (url: string) => DataSource): Promise<MigratedTestDatabase> {
  const database = await createTestDatabase(label);
  const dataSource = dataSourceFor(database.url);
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    await dataSource.destroy().catch(() => undefined);
    await database.drop();
    throw error;
  }
  return {
    database,
    dataSource,
    dispose: async () => {
      await dataSource.destroy().catch(() => undefined);
      await database.drop();
    },
  };
}
