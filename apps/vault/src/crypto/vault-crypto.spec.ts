import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { decodeCredential, encodeCredential } from './credential-codec';
import { MasterKeyring, MasterKeyringError } from './master-keyring';
import { normaliseCode, VaultCrypto, VaultCryptoError, type Credential } from './vault-crypto';

const key = (): string => randomBytes(32).toString('base64url');
const settings = (overrides: Partial<Record<'VAULT_MASTER_KEYS' | 'VAULT_MASTER_KEY_ID' | 'VAULT_FINGERPRINT_KEY', string>> = {}) => {
  const k1 = key();
  return { VAULT_MASTER_KEYS: `k1:${k1}`, VAULT_MASTER_KEY_ID: 'k1', VAULT_FINGERPRINT_KEY: key(), ...overrides };
};

describe('normaliseCode', () => {
  it('treats the same card written with other separators, spacing, case or width as the same code', () => {
    const forms = ['ABCD-EFGH-1234', 'abcd-efgh-1234', ' ABCD EFGH 1234 ', 'ABCDEFGH1234', 'ＡＢＣＤ－ＥＦＧＨ－１２３４', 'ABCD\u2010EFGH\u30001234', 'abcd–efgh—1234'];
    expect(new Set(forms.map(normaliseCode))).toEqual(new Set(['ABCDEFGH1234']));
  });

  it('keeps codes that differ in their characters apart', () => {
    expect(normaliseCode('ABCD-EFGH-1234')).not.toEqual(normaliseCode('ABCD-EFGH-1235'));
    expect(normaliseCode('0O')).not.toEqual(normaliseCode('OO'));
  });
});

describe('credential encoding', () => {
  it('round-trips every combination of optional fields, including non-ASCII text', () => {
    const cases: Credential[] = [
      { code: 'A' },
      { code: 'ABC-123', pin: '0042' },
      { code: '卡密-天猫-001', serial: 'SN 9', redemptionUrl: 'https://example.com/r?c=1&x=卡' },
      { code: 'X', pin: '', serial: '', redemptionUrl: '' },
    ];
    for (const credential of cases) expect(decodeCredential(encodeCredential(credential))).toEqual(credential);
  });

  it('is compact: version, flags and one length per field', () => {
    expect(encodeCredential({ code: 'ABCDEFGHIJKLMNOP', pin: '1234' }).length).toBe(2 + 2 + 16 + 2 + 4);
  });
});

describe('MasterKeyring', () => {
  it('reads base64 and base64url keys and the active id', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    const ring = MasterKeyring.parse(`old:${a.toString('base64')},new:${b.toString('base64url')}`, 'new');
    expect(ring.activeId).toBe('new');
    expect(ring.key('old').equals(a)).toBe(true);
    expect(ring.active.equals(b)).toBe(true);
    expect(ring.ids()).toEqual(['old', 'new']);
  });

  it.each([
    ['an empty list', '', 'k1', /empty/],
    ['a missing separator', 'k1', 'k1', /entry 1/],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`, 'k1', /32 bytes/],
    ['junk in the key', `k1:${'!'.repeat(43)}`, 'k1', /32 bytes/],
    ['a repeated id', `k1:${key()},k1:${key()}`, 'k1', /twice/],
    ['an active id that is not listed', `k1:${key()}`, 'k2', /not listed/],
  ])('refuses %s with a message that shows no key material', (_, keys, active, message) => {
    let error: unknown;
    try {
      MasterKeyring.parse(keys, active);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MasterKeyringError);
    expect((error as Error).message).toMatch(message);
    for (const part of keys.split(/[,:]/).filter((p) => p.length > 20)) expect((error as Error).message).not.toContain(part);
  });

  it('makes VaultCrypto refuse to start without a usable fingerprint key', () => {
    expect(() => new VaultCrypto(settings({ VAULT_FINGERPRINT_KEY: randomBytes(16).toString('base64') }))).toThrow(/VAULT_FINGERPRINT_KEY/);
  });
});

describe('VaultCrypto', () => {
  const crypto = new VaultCrypto(settings());
  const batchId = randomUUID();
  const credential: Credential = { code: 'ABCD-EFGH-1234', pin: '9876', serial: 'SN-1', redemptionUrl: 'https://redeem.example/x' };

  it('fingerprints the normalised code with HMAC-SHA256', () => {
    expect(crypto.fingerprint('abcd efgh 1234')).toEqual(crypto.fingerprint('ABCD-EFGH-1234'));
    expect(crypto.fingerprint('ABCD-EFGH-1234')).toHaveLength(32);
    expect(crypto.fingerprint('ABCD-EFGH-1234')).not.toEqual(crypto.fingerprint('ABCD-EFGH-1235'));
    // Another fingerprint key gives other fingerprints: they are not a plain hash anyone can compute.
    expect(new VaultCrypto(settings()).fingerprint('ABCD-EFGH-1234')).not.toEqual(crypto.fingerprint('ABCD-EFGH-1234'));
  });

  it('computes exactly HMAC-SHA256 (its own fast path), for short and long codes and keys of any length', () => {
    for (const keyBytes of [32, 64, 65, 100]) {
      const fingerprintKey = randomBytes(keyBytes);
      const c = new VaultCrypto(settings({ VAULT_FINGERPRINT_KEY: fingerprintKey.toString('base64') }));
      for (const code of ['A', 'ABCD-EFGH', '卡密１２３', 'X'.repeat(300), '码'.repeat(400)]) {
        expect(c.fingerprint(code)).toEqual(createHmac('sha256', fingerprintKey).update(normaliseCode(code), 'utf8').digest());
      }
    }
  });

  it('seals into a shared buffer exactly like seal, and says when there is no room', () => {
    const { dataKey } = crypto.newDataKey(batchId);
    const fingerprint = crypto.fingerprint(credential.code);
    const slab = Buffer.alloc(200);
    const n = crypto.sealInto(dataKey, fingerprint, credential, slab, 10);
    expect(n).toBe(crypto.seal(dataKey, fingerprint, credential).length);
    expect(crypto.open(dataKey, fingerprint, slab.subarray(10, 10 + n))).toEqual(credential);
    expect(crypto.sealInto(dataKey, fingerprint, credential, slab, 200 - n + 1)).toBe(-1);
  });

  it('wraps a fresh data key per batch and unwraps it again', () => {
    const a = crypto.newDataKey(batchId);
    const b = crypto.newDataKey(batchId);
    expect(a.masterKeyId).toBe('k1');
    expect(a.dataKey).toHaveLength(32);
    expect(a.dataKey.equals(b.dataKey)).toBe(false);
    expect(a.wrappedKey.includes(a.dataKey)).toBe(false);
    expect(crypto.unwrapDataKey(batchId, 'k1', a.wrappedKey).equals(a.dataKey)).toBe(true);
  });

  it('does not unwrap a data key for another batch, under another key id, or altered', () => {
    const { wrappedKey } = crypto.newDataKey(batchId);
    expect(() => crypto.unwrapDataKey(randomUUID(), 'k1', wrappedKey)).toThrow(VaultCryptoError);
    const altered = Buffer.from(wrappedKey);
    altered[altered.length - 1]! ^= 1;
    expect(() => crypto.unwrapDataKey(batchId, 'k1', altered)).toThrow(VaultCryptoError);
    expect(() => crypto.unwrapDataKey(batchId, 'k9', wrappedKey)).toThrow(MasterKeyringError);
  });

  it('seals and opens a credential', () => {
    const { dataKey } = crypto.newDataKey(batchId);
    const fingerprint = crypto.fingerprint(credential.code);
    const secret = crypto.seal(dataKey, fingerprint, credential);
    expect(secret.includes(Buffer.from(credential.code))).toBe(false);
    expect(secret.includes(Buffer.from(credential.pin!))).toBe(false);
    expect(crypto.open(dataKey, fingerprint, secret)).toEqual(credential);
    expect(crypto.open(dataKey, crypto.fingerprint('X'), crypto.seal(dataKey, crypto.fingerprint('X'), { code: 'X' }))).toEqual({ code: 'X' });
  });

  it('uses a fresh IV for every seal', () => {
    const { dataKey } = crypto.newDataKey(batchId);
    const fingerprint = crypto.fingerprint(credential.code);
    const ivs = new Set(Array.from({ length: 10_000 }, () => crypto.seal(dataKey, fingerprint, credential).subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(10_000);
  });

  it('detects tampering: an altered secret, another row’s fingerprint, another batch’s key', () => {
    const { dataKey } = crypto.newDataKey(batchId);
    const fingerprint = crypto.fingerprint(credential.code);
    const secret = crypto.seal(dataKey, fingerprint, credential);
    for (const at of [0, 12, 28, secret.length - 1]) {
      const altered = Buffer.from(secret);
      altered[at]! ^= 0x80;
      expect(() => crypto.open(dataKey, fingerprint, altered)).toThrow(VaultCryptoError);
    }
    expect(() => crypto.open(dataKey, crypto.fingerprint('OTHER-CODE'), secret)).toThrow(VaultCryptoError);
    expect(() => crypto.open(crypto.newDataKey(randomUUID()).dataKey, fingerprint, secret)).toThrow(VaultCryptoError);
    expect(() => crypto.open(dataKey, fingerprint, secret.subarray(0, 20))).toThrow(VaultCryptoError);
  });

  it('opens data keys wrapped under an older master key that is still listed', () => {
    const old = randomBytes(32).toString('base64');
    const fingerprintKey = key();
    const before = new VaultCrypto({ VAULT_MASTER_KEYS: `k1:${old}`, VAULT_MASTER_KEY_ID: 'k1', VAULT_FINGERPRINT_KEY: fingerprintKey });
    const after = new VaultCrypto({ VAULT_MASTER_KEYS: `k1:${old},k2:${key()}`, VAULT_MASTER_KEY_ID: 'k2', VAULT_FINGERPRINT_KEY: fingerprintKey });
    const made = before.newDataKey(batchId);
    expect(after.unwrapDataKey(batchId, 'k1', made.wrappedKey).equals(made.dataKey)).toBe(true);
    expect(after.newDataKey(batchId).masterKeyId).toBe('k2');
    expect(after.fingerprint('A-1')).toEqual(before.fingerprint('A-1'));
  });
});
