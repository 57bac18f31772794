#!/usr/bin/env node
// `npm run compose:env`: writes the .env that docker-compose.yml takes its secrets from, every one
// freshly generated (docker-compose.yml has no defaults for them and stops, naming this command,
// without it). Refuses to replace an existing file: its VAULT_MASTER_KEYS open the codes already
// stored, and a new set would strand them. `--out FILE` writes elsewhere; `--force` overwrites.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVICES = ['gateway', 'catalog', 'vault', 'ordering', 'delivery', 'settlement'];

const key = () => randomBytes(32).toString('base64url');
function signingKeyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return [privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64url'), publicKey.export({ type: 'spki', format: 'der' }).toString('base64url')];
}

/** Every secret docker-compose.yml reads, with a fresh value. */
export function composeSecrets() {
  const [gatewayPrivate, gatewayPublic] = signingKeyPair();
  const [deliveryPrivate, deliveryPublic] = signingKeyPair();
  return {
    JWT_SECRET: key(),
    GATEWAY_IDENTITY_PRIVATE_KEY: gatewayPrivate,
    GATEWAY_IDENTITY_PUBLIC_KEY: gatewayPublic,
    DELIVERY_SIGNING_PRIVATE_KEY: deliveryPrivate,
    DELIVERY_SIGNING_PUBLIC_KEY: deliveryPublic,
    WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64'),
    VAULT_MASTER_KEYS: `k1:${key()}`,
    VAULT_MASTER_KEY_ID: 'k1',
    VAULT_FINGERPRINT_KEY: key(),
    ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_IDEMPOTENCY_FINGERPRINT_KEY`, key()])),
  };
}

export const COMPOSE_ENV_FILE = path.join(ROOT, '.env');

/** Writes a fresh set to `file` (mode 600); answers how many secrets it wrote. */
export function writeComposeEnv(file = COMPOSE_ENV_FILE) {
  const lines = Object.entries(composeSecrets()).map(([name, value]) => `${name}=${value}`);
  fs.writeFileSync(file, `# Secrets for docker-compose.yml, made by npm run compose:env on ${new Date().toISOString()}. Keep them; never commit them.\n${lines.join('\n')}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return lines.length;
}

function main(args) {
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? path.resolve(args[outIndex + 1] ?? '') : COMPOSE_ENV_FILE;
  if (fs.existsSync(out) && !args.includes('--force')) {
    console.error(`${out} exists: its VAULT_MASTER_KEYS open the codes stored with it, so it is kept. Move it away first, or pass --force.`);
    process.exit(1);
  }
  console.log(`wrote ${writeComposeEnv(out)} secrets to ${out} (mode 600)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
