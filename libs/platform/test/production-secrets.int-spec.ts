import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTs, WORKSPACE_ROOT } from '@kami/testing';
import { weakSecretReason } from '../src/config/secret-strength';

/*
 * Published secrets open nothing: docker-compose.yml carries none (it takes every one from a .env
 * that `npm run compose:env` generates, and stops without it), every value the generator makes is
 * one production accepts, and a production service refuses to start with any value Kami once
 * published, naming each setting.
 */

/** The secret defaults docker-compose.yml used to carry: public since they were committed. */
const ONCE_PUBLISHED: Record<string, string> = {
  JWT_SECRET: 'dev-only-jwt-signing-secret-not-for-production',
  GATEWAY_IDENTITY_PRIVATE_KEY: 'MC4CAQAwBQYDK2VwBCIEINQHc0SvhyV_Ei80ROBAMNlurxCRvS9oNmmm9XsznoWE',
  GATEWAY_IDENTITY_PUBLIC_KEY: 'MCowBQYDK2VwAyEAlEfAjgB2W8m61M0WEFoFZ4ZGb-eUtxkV48n8AtUtEGE',
  DELIVERY_SIGNING_PRIVATE_KEY: 'MC4CAQAwBQYDK2VwBCIEIMO8CwT9MPtdkgOlvGGam15o7BD05elKAG1Vw9NwBKt3',
  DELIVERY_SIGNING_PUBLIC_KEY: 'MCowBQYDK2VwAyEAs_CfgyhlWywXNSZybvykox6rvATocoT5XzaEbMFWp3c',
  WEBHOOK_SECRET_KEY: 'ZGV2LW9ubHktd2ViaG9vay1zZWNyZXQta2V5LTAwMDE=',
  VAULT_MASTER_KEY: 'ZGV2LW9ubHktbWFzdGVyLWtleS1ub3QtZm9yLXByb2Q=',
  VAULT_FINGERPRINT_KEY: 'ZGV2LW9ubHktZmluZ2VycHJpbnQta2V5LW5vdC1mb3ItcHJvZHVjdGlvbg==',
  GATEWAY_IDEMPOTENCY_FINGERPRINT_KEY: 'ZGV2LW9ubHktZ2F0ZXdheS1pZGVtcG90ZW5jeS1rZXktMDE',
  VAULT_IDEMPOTENCY_FINGERPRINT_KEY: 'ZGV2LW9ubHktdmF1bHQtaWRlbXBvdGVuY3kta2V5LTAxMjM',
};

describe('secrets in the shipped configuration', () => {
  const compose = fs.readFileSync(path.join(WORKSPACE_ROOT, 'docker-compose.yml'), 'utf8');
  const required = [...compose.matchAll(/\$\{([A-Z0-9_]+):\?[^}]*\}/g)].map((m) => m[1]!);

  it('docker-compose.yml holds no secret: each key is required from .env, none has a default', () => {
    expect(new Set(required)).toEqual(new Set(['JWT_SECRET', 'GATEWAY_IDENTITY_PRIVATE_KEY', 'GATEWAY_IDENTITY_PUBLIC_KEY', 'DELIVERY_SIGNING_PRIVATE_KEY', 'DELIVERY_SIGNING_PUBLIC_KEY', 'WEBHOOK_SECRET_KEY', 'VAULT_MASTER_KEYS', 'VAULT_MASTER_KEY_ID', 'VAULT_FINGERPRINT_KEY', 'GATEWAY_IDEMPOTENCY_FINGERPRINT_KEY', 'CATALOG_IDEMPOTENCY_FINGERPRINT_KEY', 'VAULT_IDEMPOTENCY_FINGERPRINT_KEY', 'ORDERING_IDEMPOTENCY_FINGERPRINT_KEY', 'DELIVERY_IDEMPOTENCY_FINGERPRINT_KEY', 'SETTLEMENT_IDEMPOTENCY_FINGERPRINT_KEY']));
    for (const value of Object.values(ONCE_PUBLISHED)) expect(compose).not.toContain(value);
    const defaults = [...compose.matchAll(/\$\{([A-Z0-9_]+):-[^}]*\}/g)].map((m) => m[1]);
    expect(defaults.filter((name) => /KEY|SECRET/.test(name!))).toEqual([]);
  });

  it('npm run compose:env writes every one of them (mode 600), each strong enough for production, and keeps an existing file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kami-compose-env-'));
    const file = path.join(dir, '.env');
    try {
      execFileSync(process.execPath, [path.join(WORKSPACE_ROOT, 'tools/scripts/compose-env.mjs'), '--out', file]);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const written = Object.fromEntries(
        fs.readFileSync(file, 'utf8').split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(Object.keys(written).sort()).toEqual([...required].sort());
      for (const [name, value] of Object.entries(written)) {
        const material = name === 'VAULT_MASTER_KEYS' ? value.slice(value.indexOf(':') + 1) : value;
        if (name !== 'VAULT_MASTER_KEY_ID') expect({ name, weak: weakSecretReason(material) }).toEqual({ name, weak: undefined });
      }
      const before = fs.readFileSync(file, 'utf8');
      expect(() => execFileSync(process.execPath, [path.join(WORKSPACE_ROOT, 'tools/scripts/compose-env.mjs'), '--out', file], { stdio: 'pipe' })).toThrow();
      expect(fs.readFileSync(file, 'utf8')).toBe(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a production gateway refuses to start with once-published keys, naming each setting', async () => {
    const gateway = spawnTs('apps/gateway/src/main.ts', {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: '0',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/kami_gateway_never_reached',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: '127.0.0.1:9092',
      RUN_MIGRATIONS_ON_START: 'false',
      JWT_SECRET: ONCE_PUBLISHED.JWT_SECRET,
      GATEWAY_IDENTITY_PRIVATE_KEY: ONCE_PUBLISHED.GATEWAY_IDENTITY_PRIVATE_KEY,
      IDEMPOTENCY_FINGERPRINT_KEY: ONCE_PUBLISHED.GATEWAY_IDEMPOTENCY_FINGERPRINT_KEY,
    });
    // Accepted, it would go on to connect: that is this test failing, not hanging.
    const timeout = setTimeout(() => gateway.child.kill('SIGKILL'), 30_000);
    const { code } = await gateway.exited;
    clearTimeout(timeout);
    const named = [...gateway.output().matchAll(/^\s+- ([A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect({ code, named: named.sort() }).toEqual({ code: 78, named: ['GATEWAY_IDENTITY_PRIVATE_KEY', 'IDEMPOTENCY_FINGERPRINT_KEY', 'JWT_SECRET'] });
  });
});
