import { createHash, randomBytes, scryptSync } from 'node:crypto';
import {
  API_KEY_PREFIX,
  DUMMY_PASSWORD_HASH,
  generateApiKey,
  hashApiKeySecret,
  hashPassword,
  parseApiKey,
  passwordNeedsRehash,
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

  it('stores scrypt with its parameters (OWASP\'s minimum, N=2^17 r=8 p=1) and a random salt, never the password', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toEqual(b);
    for (const stored of [a, b]) {
      expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(stored).not.toContain('same password');
    }
    // Both still verify: the salt travels with the hash.
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('still verifies a hash stored with older parameters, and says it needs rehashing; a current one does not', async () => {
    const salt = randomBytes(16);
    const old = ['scrypt', 32768, 8, 1, salt.toString('base64url'), scryptSync('pw-older', salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }).toString('base64url')].join('$');
    expect(await verifyPassword('pw-older', old)).toBe(true);
    expect(await verifyPassword('pw-older!', old)).toBe(false);
    expect(passwordNeedsRehash(old)).toBe(true);
    expect(passwordNeedsRehash('scrypt$131072$8$1$x$y'.replace('$8$', '$4$'))).toBe(true);
    expect(passwordNeedsRehash(await hashPassword('pw-current'))).toBe(false);
    expect(passwordNeedsRehash('bcrypt$whatever')).toBe(true);
  });

  it('makes an unknown email cost what a real login costs: the dummy hash has the current parameters', () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(passwordNeedsRehash(DUMMY_PASSWORD_HASH)).toBe(false);
  });

  it('refuses, without throwing, a stored hash whose parameters are malformed or would take unbounded memory', async () => {
    const stored = await hashPassword('pw-123456');
    const [, , , , salt, hash] = stored.split('$');
    for (const params of ['3$8$1', '0$8$1', 'x$8$1', '131072$0$1', '131072$8$0', '1048576$8$1', '131072$8$1000', '131072.5$8$1', '-131072$8$1']) {
      await expect(verifyPassword('pw-123456', `scrypt$${params}$${salt}$${hash}`)).resolves.toBe(false);
    }
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
