// The six services as the scripts run them: port, entry points and environment. The same
// variable names are used by docker-compose.yml and documented in the README.
import { generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
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

/** Internal calls between services: caller → the services it calls (they hold its public key). */
export const INTERNAL_CALLS = { delivery: ['vault'] };

/** An Ed25519 key pair as the services read it (base64url DER: PKCS8 private, SPKI public). */
function signingKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url'),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64url'),
  };
}

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
  const idempotencyKeys = SERVICES.map((s) => `IDEMPOTENCY_FINGERPRINT_KEY_${s.name.toUpperCase()}`);
  for (const name of ['JWT_SECRET', 'VAULT_FINGERPRINT_KEY', 'DEMO_CREDENTIALS_SECRET', ...idempotencyKeys]) {
    if (!secrets[name]) {
      secrets[name] = randomBytes(32).toString('base64url');
      changed = true;
    }
  }
  // Key pairs: the gateway's (identities it forwards) and one per service that calls another.
  for (const owner of ['GATEWAY_IDENTITY', ...Object.keys(INTERNAL_CALLS).map((s) => `${s.toUpperCase()}_SIGNING`)]) {
    if (!secrets[`${owner}_PRIVATE_KEY`] || !secrets[`${owner}_PUBLIC_KEY`]) {
      const pair = signingKeyPair();
      secrets[`${owner}_PRIVATE_KEY`] = pair.privateKey;
      secrets[`${owner}_PUBLIC_KEY`] = pair.publicKey;
      changed = true;
    }
  }
  if (!secrets.WEBHOOK_SECRET_KEY) {
    // A checkout made before the key had its own setting: keep the key its webhook secrets were
    // sealed with (once derived from the shared secret, which is then dropped); else a new one.
    const old = secrets.INTERNAL_IDENTITY_SECRET;
    secrets.WEBHOOK_SECRET_KEY = (old ? Buffer.from(hkdfSync('sha256', old, 'kami-delivery', 'webhook-secret-key/v1', 32)) : randomBytes(32)).toString('base64');
    changed = true;
  }
  if (secrets.INTERNAL_IDENTITY_SECRET) {
    delete secrets.INTERNAL_IDENTITY_SECRET;
    changed = true;
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
  // Readable by its owner only, also when the file was made before this rule.
  fs.chmodSync(SECRETS_FILE, 0o600);
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
    // Each service's own key; no secret is shared between services.
    IDEMPOTENCY_FINGERPRINT_KEY: secrets[`IDEMPOTENCY_FINGERPRINT_KEY_${service.name.toUpperCase()}`],
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  // Each service only the keys it needs: the gateway its private key, the others the gateway's
  // public key; a caller its own private key, a callee its callers' public keys.
  if (service.name === 'gateway') env.GATEWAY_IDENTITY_PRIVATE_KEY = secrets.GATEWAY_IDENTITY_PRIVATE_KEY;
  else env.GATEWAY_IDENTITY_PUBLIC_KEY = secrets.GATEWAY_IDENTITY_PUBLIC_KEY;
  if (INTERNAL_CALLS[service.name]) env.SERVICE_SIGNING_KEY = secrets[`${service.name.toUpperCase()}_SIGNING_PRIVATE_KEY`];
  const callers = Object.keys(INTERNAL_CALLS).filter((caller) => INTERNAL_CALLS[caller].includes(service.name));
  if (callers.length > 0) env.TRUSTED_SERVICE_KEYS = callers.map((caller) => `${caller}:${secrets[`${caller.toUpperCase()}_SIGNING_PUBLIC_KEY`]}`).join(',');
  if (service.name === 'delivery') env.WEBHOOK_SECRET_KEY = secrets.WEBHOOK_SECRET_KEY;
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
