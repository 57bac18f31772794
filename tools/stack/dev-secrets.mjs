// The development stack keeps the secrets that protect data with that data: in the PostgreSQL
// server that holds the services' databases (database kami_stack, table dev_secret). Every
// checkout that uses these databases then uses the keys that sealed their codes, fingerprints
// and webhook secrets; a second checkout on the same machine no longer strands the first one's
// codes under a master key it does not have. The checkout's .stack/dev-secrets.env follows what
// the server holds (the first checkout to record a secret wins).
//
// Kept free of import.meta (tests load it through jest) and of the stack's other modules.

import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** Secrets that protect what the databases hold (the rest, such as signing key pairs, may differ per checkout). */
const DATA_SECRET = /^(VAULT_MASTER_KEYS|VAULT_MASTER_KEY_ID|VAULT_FINGERPRINT_KEY|WEBHOOK_SECRET_KEY|DEMO_CREDENTIALS_SECRET|JWT_SECRET|IDEMPOTENCY_FINGERPRINT_KEY\w*)$/;

export function readSecretsFile(file) {
  const secrets = {};
  if (!fs.existsSync(file)) return secrets;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.+)$/.exec(line.trim());
    if (m) secrets[m[1]] = m[2];
  }
  return secrets;
}

function writeSecretsFile(file, secrets) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** True when the vault database exists and holds data keys (codes were sealed under some master key). */
async function vaultHoldsCodes(serverUrl, vaultDatabase) {
  const exists = await withClient(`${serverUrl}/postgres`, async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [vaultDatabase])).rowCount > 0);
  if (!exists) return false;
  return withClient(`${serverUrl}/${vaultDatabase}`, async (c) => {
    const table = await c.query(`SELECT to_regclass('public.batch_key') AS t`);
    if (!table.rows[0].t) return false;
    return (await c.query('SELECT 1 FROM batch_key LIMIT 1')).rowCount > 0;
  });
}

/**
 * Makes this checkout's secrets file agree with the secrets stored with the databases.
 *
 * @param {object} options
 * @param {string} options.serverUrl  postgres://user@host:port (no database)
 * @param {string} options.file       the checkout's secrets file (.stack/dev-secrets.env)
 * @param {() => void} options.ensureLocal  fills the file with whatever is missing (devSecrets)
 * @param {string} [options.registryDatabase] where the secrets live (default kami_stack)
 * @param {string} [options.vaultDatabase]    the vault's database (default kami_vault)
 * @returns {Promise<{ adopted: string[] }>} the names whose stored value replaced this checkout's own
 * @throws when the databases hold codes sealed under keys nobody recorded and this checkout has none of its own
 */
export async function keepDevSecretsWithData({ serverUrl, file, ensureLocal, registryDatabase = 'kami_stack', vaultDatabase = 'kami_vault' }) {
  await withClient(`${serverUrl}/postgres`, async (c) => {
    try {
      await c.query(`CREATE DATABASE "${registryDatabase}"`);
    } catch (error) {
      // 42P04: it exists; 23505: another process created it at the same moment.
      if (error.code !== '42P04' && error.code !== '23505') throw error;
    }
  });
  const registry = `${serverUrl}/${registryDatabase}`;
  const stored = async () =>
    withClient(registry, async (c) => {
      await c.query(`CREATE TABLE IF NOT EXISTS dev_secret (name text PRIMARY KEY, value text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`);
      return Object.fromEntries((await c.query('SELECT name, value FROM dev_secret')).rows.map((r) => [r.name, r.value]));
    });

  const before = await stored();
  if (!before.VAULT_MASTER_KEYS && !readSecretsFile(file).VAULT_MASTER_KEYS && (await vaultHoldsCodes(serverUrl, vaultDatabase))) {
    throw new Error(
      `the database ${vaultDatabase} holds codes sealed under development keys that were never recorded with it, and this checkout has none: ` +
        `run \`npm start\` once in the checkout that created them (it records its keys in ${registryDatabase}), or drop the kami_* databases to start afresh`,
    );
  }
  ensureLocal();
  const local = readSecretsFile(file);
  await withClient(registry, async (c) => {
    for (const [name, value] of Object.entries(local)) {
      if (DATA_SECRET.test(name)) await c.query('INSERT INTO dev_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
    }
  });
  const now = await stored();
  const adopted = Object.keys(now).filter((name) => local[name] !== now[name]);
  if (adopted.length > 0) writeSecretsFile(file, { ...local, ...now });
  return { adopted };
}
