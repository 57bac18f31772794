import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, testInfrastructure, uniqueSuffix, type TestDatabase } from '@kami/testing';
// tools/ is in no Nx project yet, so the module-boundary rule cannot place it; this test drives it as npm start does.
// @ts-expect-error -- a plain ES module of the development scripts, without type declarations
// eslint-disable-next-line @nx/enforce-module-boundaries
import { keepDevSecretsWithData, readSecretsFile } from '../../../tools/stack/dev-secrets.mjs';

/*
 * Two checkouts on one machine share the stack's databases. The development secrets that sealed
 * the codes live with those databases, so the second checkout uses the first one's master key
 * instead of stranding its codes under a key of its own. Real PostgreSQL; each checkout is a
 * secrets file of its own (what `npm start` keeps in .stack/dev-secrets.env).
 */

interface Keep {
  (file: string, ensureLocal: () => void): Promise<{ adopted: string[] }>;
}

let serverUrl: string;
let registryDatabase: string;
let vault: TestDatabase;
let keep: Keep;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kami-dev-secrets-'));

/** What devSecrets() does in a checkout without a file: a fresh master key of its own. */
const generate = (file: string) => (): void => {
  const own = readSecretsFile(file);
  if (own.VAULT_MASTER_KEYS) return;
  const lines = [`VAULT_MASTER_KEYS=dev1:${randomBytes(32).toString('base64url')}`, 'VAULT_MASTER_KEY_ID=dev1', `VAULT_FINGERPRINT_KEY=${randomBytes(32).toString('base64url')}`, 'GATEWAY_IDENTITY_PRIVATE_KEY=own'];
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
};

async function sealSomeCodes(): Promise<void> {
  const client = new Client({ connectionString: vault.url });
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS batch_key (batch_id uuid PRIMARY KEY, master_key_id text NOT NULL, wrapped_key bytea NOT NULL)`);
    await client.query(`INSERT INTO batch_key VALUES (gen_random_uuid(), 'dev1', '\\x00')`);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  serverUrl = (await testInfrastructure()).postgresUrl;
  registryDatabase = `kami_test_stack_${uniqueSuffix()}`;
  vault = await createTestDatabase('dev_secrets_vault');
  keep = (file, ensureLocal) => keepDevSecretsWithData({ serverUrl, file, ensureLocal, registryDatabase, vaultDatabase: vault.name });
});

afterAll(async () => {
  await vault?.drop();
  const admin = new Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${registryDatabase}" WITH (FORCE)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('refuses a fresh checkout when the databases hold codes sealed under keys nobody recorded', async () => {
  await sealSomeCodes();
  const fresh = path.join(dir, 'fresh.env');
  await expect(keep(fresh, generate(fresh))).rejects.toThrow(/holds codes sealed under development keys that were never recorded/);
  expect(fs.existsSync(fresh)).toBe(false);
});

it('records the first checkout’s keys with the data, and a second checkout adopts them', async () => {
  const first = path.join(dir, 'first.env');
  generate(first)();
  const firstKeys = readSecretsFile(first);
  expect(await keep(first, generate(first))).toEqual({ adopted: [] });

  const second = path.join(dir, 'second.env');
  const result = await keep(second, generate(second));
  expect(result.adopted.sort()).toEqual(['VAULT_FINGERPRINT_KEY', 'VAULT_MASTER_KEYS']);
  const secondKeys = readSecretsFile(second);
  expect(secondKeys.VAULT_MASTER_KEYS).toBe(firstKeys.VAULT_MASTER_KEYS);
  expect(secondKeys.VAULT_FINGERPRINT_KEY).toBe(firstKeys.VAULT_FINGERPRINT_KEY);
  // What does not protect data stays the checkout's own.
  expect(secondKeys.GATEWAY_IDENTITY_PRIVATE_KEY).toBe('own');
  expect(fs.statSync(second).mode & 0o777).toBe(0o600);

  // And the next start changes nothing.
  expect(await keep(second, generate(second))).toEqual({ adopted: [] });
});
