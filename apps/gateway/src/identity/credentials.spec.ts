import { createHash } from 'node:crypto';
import {
  API_KEY_PREFIX,
  DUMMY_PASSWORD_HASH,
  generateApiKey,
  hashApiKeySecret,
  hashPassword,
  parseApiKey,
  secretsEqual,
  verifyPassword,
} from './credentials';

describe('passwords', () => {
  it('a hash verifies its own password and no other', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores scrypt with its parameters and a random salt, never the password', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toEqual(b);
    for (const stored of [a, b]) {
      expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(stored).not.toContain('same password');
    }
    // Both still verify: the salt travels with the hash.
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('refuses anything against the dummy hash and against unknown schemes', async () => {
    expect(await verifyPassword('', DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('anything', DUMMY_PASSWORD_HASH)).toBe(false);
    const stored = await hashPassword('pw-123456');
    expect(await verifyPassword('pw-123456', stored.replace(/^scrypt/, 'bcrypt'))).toBe(false);
    expect(await verifyPassword('pw-123456', 'scrypt$32768$8$1$$')).toBe(false);
  });
});

describe('API keys', () => {
  it('generates kami_<12 hex>_<secret> and stores only a SHA-256 of the secret', () => {
    const generated = generateApiKey();
    expect(generated.key).toMatch(/^kami_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(generated.prefix).toMatch(/^kami_[0-9a-f]{12}$/);
    expect(generated.key.startsWith(`${generated.prefix}_`)).toBe(true);
    expect(generated.prefix.startsWith(API_KEY_PREFIX)).toBe(true);
    const secret = generated.key.slice(generated.prefix.length + 1);
    expect(generated.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(generated.secretHash).not.toContain(secret);
  });

  it('never generates the same key or prefix twice', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(200);
  });

  it('parses what it generates back into prefix and secret', () => {
    const generated = generateApiKey();
    const parsed = parseApiKey(generated.key);
    expect(parsed).toEqual({ prefix: generated.prefix, secret: generated.key.slice(generated.prefix.length + 1) });
    expect(hashApiKeySecret(parsed!.secret)).toBe(generated.secretHash);
  });

  it('does not parse strings that are not shaped like a key', () => {
    const { key, prefix } = generateApiKey();
    for (const bad of [
      '',
      prefix,
      `${prefix}_`,
      `${prefix}_short`,
      key.replace(/^kami_/, 'kam1_'),
      key.toUpperCase(),
      ` ${key}`,
      `${key} `,
      `${key}.extra`,
      `Bearer ${key}`,
      'kami_0123456789ab',
      'kami_0123456789a_AAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      expect({ bad, parsed: parseApiKey(bad) }).toEqual({ bad, parsed: undefined });
    }
  });

  it('secretsEqual compares hex digests exactly', () => {
    const a = hashApiKeySecret('one secret');
    expect(secretsEqual(a, hashApiKeySecret('one secret'))).toBe(true);
    expect(secretsEqual(a, hashApiKeySecret('another secret'))).toBe(false);
    expect(secretsEqual(a, a.slice(0, -2))).toBe(false);
    expect(secretsEqual(a, '')).toBe(false);
    expect(secretsEqual('', a)).toBe(false);
  });
});
