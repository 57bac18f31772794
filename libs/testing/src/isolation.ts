import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testInfrastructure } from './infrastructure';

/** A short random suffix that makes a test file's databases, topics, groups and keys its own. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file (`kami_test_<label>_<suffix>`); the real
 * migrations then run in it exactly as in production.
 */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const infra = await testInfrastructure();
  const name = `kami_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${uniqueSuffix()}`;
  const admin = new Client({ connectionString: `${infra.postgresUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `${infra.postgresUrl}/${name}`,
    drop: async () => {
      const client = new Client({ connectionString: `${infra.postgresUrl}/postgres` });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Topic, consumer group or Redis key prefix names private to one test file. */
export function testNames(label: string): { topic: (name: string) => string; group: (name: string) => string; redisPrefix: string } {
  const suffix = uniqueSuffix();
  return {
    topic: (name) => `test.${label}.${name}.${suffix}`,
    group: (name) => `test.${label}.${name}.${suffix}`,
    redisPrefix: `test:${label}:${suffix}:`,
  };
}
