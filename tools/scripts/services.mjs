// The six services as the scripts run them: port, entry points and environment. The same
// variable names are used by docker-compose.yml and documented in the README.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../stack/stack-lib.mjs';

export const SERVICES = [
  { name: 'catalog', port: 3101 },
  { name: 'vault', port: 3102, redis: true },
  { name: 'ordering', port: 3103 },
  { name: 'delivery', port: 3104 },
  { name: 'settlement', port: 3105 },
  { name: 'gateway', port: 3000, redis: true },
];

const SECRETS_FILE = path.join(ROOT, '.stack', 'dev-secrets.env');

/**
 * Development secrets, made once per checkout and kept in .stack/ (never committed), so
 * sessions survive a restart. Production supplies its own through the environment.
 */
export function devSecrets() {
  const secrets = {};
  if (fs.existsSync(SECRETS_FILE)) {
    for (const line of fs.readFileSync(SECRETS_FILE, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.+)$/.exec(line.trim());
      if (m) secrets[m[1]] = m[2];
    }
  }
  let changed = false;
  for (const name of ['INTERNAL_IDENTITY_SECRET', 'JWT_SECRET', 'VAULT_FINGERPRINT_KEY', 'DEMO_CREDENTIALS_SECRET']) {
    if (!secrets[name]) {
      secrets[name] = randomBytes(32).toString('base64url');
      changed = true;
    }
  }
  if (!secrets.VAULT_MASTER_KEYS) {
    secrets.VAULT_MASTER_KEYS = `dev1:${randomBytes(32).toString('base64url')}`;
    secrets.VAULT_MASTER_KEY_ID = 'dev1';
    changed = true;
  }
  if (changed) {
    fs.mkdirSync(path.dirname(SECRETS_FILE), { recursive: true });
    fs.writeFileSync(SECRETS_FILE, Object.entries(secrets).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  }
  return secrets;
}

/** The environment of one service, given where the stack's servers are. */
export function serviceEnv(service, stackEnv, secrets, overrides = {}) {
  const pgUser = stackEnv.PGUSER ?? 'postgres';
  const env = {
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    PORT: String(service.port),
    HOST: '127.0.0.1',
    DATABASE_URL: `postgres://${pgUser}@${stackEnv.PGHOST ?? '127.0.0.1'}:${stackEnv.PGPORT ?? '5432'}/kami_${service.name}`,
    KAFKA_BROKERS: stackEnv.KAFKA_BROKERS ?? '127.0.0.1:9092',
    INTERNAL_IDENTITY_SECRET: secrets.INTERNAL_IDENTITY_SECRET,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  if (service.redis) env.REDIS_URL = stackEnv.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (service.name === 'vault') {
    for (const name of ['VAULT_MASTER_KEYS', 'VAULT_MASTER_KEY_ID', 'VAULT_FINGERPRINT_KEY']) env[name] = secrets[name];
  }
  // The development stack pays top-ups with the sandbox provider (moves no money; refused in production).
  if (service.name === 'settlement') env.PAYMENT_PROVIDER = 'sandbox';
  if (service.name === 'gateway') {
    env.JWT_SECRET = secrets.JWT_SECRET;
    // The portal's Vite build (build.mjs), served at `/`.
    env.PORTAL_DIR = path.join(ROOT, 'dist', 'apps', 'portal');
    for (const s of SERVICES.filter((s) => s.name !== 'gateway')) env[`${s.name.toUpperCase()}_URL`] = `http://127.0.0.1:${s.port}`;
  }
  return { ...env, ...overrides };
}

export const entryOf = (name, file = 'main') => path.join(ROOT, 'dist', 'apps', name, 'src', `${file}.js`);
