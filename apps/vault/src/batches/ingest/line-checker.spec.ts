import { CodePatternSyntaxError } from '@kami/code-format';
import { FingerprintSet } from './fingerprint-set';
import { LineChecker, parseExpiresAt } from './line-checker';

const now = new Date('2026-03-01T00:00:00Z');
const format = (overrides = {}) => ({ codePattern: '[A-Z0-9]{4}-[A-Z0-9]{4}', pinPolicy: 'optional' as const, pinPattern: '\\d{4}', serialRequired: false, ...overrides });

describe('LineChecker', () => {
  const checker = new LineChecker(format(), now);

  it('accepts a fitting line, trimmed, with only the fields given', () => {
    expect(checker.check({ code: ' ABCD-1234 ', pin: '0042', serial: ' ', redemptionUrl: '' })).toEqual({ ok: true, credential: { code: 'ABCD-1234', pin: '0042' }, expiresAt: null });
  });

  it('matches the code pattern against the whole value, in unicode mode', () => {
    expect(checker.check({ code: 'XABCD-1234' })).toEqual({ ok: false, reason: 'bad_format', field: 'code' });
    expect(checker.check({ code: 'ABCD-12345' })).toEqual({ ok: false, reason: 'bad_format', field: 'code' });
    expect(checker.check({ code: '' })).toEqual({ ok: false, reason: 'bad_format', field: 'code' });
    expect(checker.check({})).toEqual({ ok: false, reason: 'bad_format', field: 'code' });
    // An alternation in the pattern cannot escape the anchors.
    expect(new LineChecker(format({ codePattern: 'A|B' }), now).check({ code: 'AB' })).toMatchObject({ ok: false, field: 'code' });
    expect(new LineChecker(format({ codePattern: '\\p{Script=Han}{2}' }), now).check({ code: '卡密' })).toMatchObject({ ok: true });
  });

  it('cannot be escaped by a pattern that closes the anchoring group, and runs pathological patterns in linear time', () => {
    // `^(?:x)|(?:)$` would take anything at all: the pattern is compiled on its own, and this one does not compile.
    expect(() => new LineChecker(format({ codePattern: 'x)|(?:' }), now)).toThrow(CodePatternSyntaxError);
    expect(() => new LineChecker(format({ pinPattern: '1)|(?:' }), now)).toThrow(CodePatternSyntaxError);
    const pathological = new LineChecker(format({ codePattern: '([A-Z0-9]+)+-X' }), now);
    expect(pathological.check({ code: 'A1B2C3D4E5F6G7H8J9K0L1M2N3P4Q5R6S7T8U9V0' })).toEqual({ ok: false, reason: 'bad_format', field: 'code' });
    expect(pathological.check({ code: 'A1B2C3D4E5F6G7H8J9K0-X' })).toMatchObject({ ok: true });
  });

  it('applies the PIN policy and pattern, the serial requirement and the URL rules', () => {
    expect(checker.check({ code: 'ABCD-1234', pin: '12a4' })).toEqual({ ok: false, reason: 'bad_format', field: 'pin' });
    expect(new LineChecker(format({ pinPolicy: 'required' }), now).check({ code: 'ABCD-1234' })).toEqual({ ok: false, reason: 'bad_format', field: 'pin' });
    expect(new LineChecker(format({ pinPolicy: 'none', pinPattern: null }), now).check({ code: 'ABCD-1234', pin: '1' })).toEqual({ ok: false, reason: 'bad_format', field: 'pin' });
    expect(new LineChecker(format({ serialRequired: true }), now).check({ code: 'ABCD-1234' })).toEqual({ ok: false, reason: 'bad_format', field: 'serial' });
    for (const url of ['javascript:alert(1)', 'ftp://x.example', 'https://', 'https://a b.example', 'redeem.example.com']) {
      expect(checker.check({ code: 'ABCD-1234', redemptionUrl: url })).toEqual({ ok: false, reason: 'bad_format', field: 'redemption_url' });
    }
    expect(checker.check({ code: 'ABCD-1234', redemptionUrl: 'https://redeem.example.com/?c=1' })).toMatchObject({ ok: true });
  });

  it('reads expiry dates and refuses codes already expired', () => {
    expect(checker.check({ code: 'ABCD-1234', expiresAt: '2026-02-28' })).toEqual({ ok: false, reason: 'expired' });
    expect(checker.check({ code: 'ABCD-1234', expiresAt: '2026-02-30' })).toEqual({ ok: false, reason: 'bad_format', field: 'expires_at' });
    expect(checker.check({ code: 'ABCD-1234', expiresAt: '2026-03-01' })).toMatchObject({ ok: true, expiresAt: new Date('2026-03-01T23:59:59.999Z') });
  });
});

describe('parseExpiresAt', () => {
  it.each([
    ['2027-12-31', '2027-12-31T23:59:59.999Z'],
    ['2027-12-31T18:00:00+08:00', '2027-12-31T10:00:00.000Z'],
    ['2027-12-31 18:00+0800', '2027-12-31T10:00:00.000Z'],
    ['2027-12-31T18:00:00.5Z', '2027-12-31T18:00:00.500Z'],
  ])('%s is %s', (text, iso) => expect(parseExpiresAt(text)?.toISOString()).toBe(iso));

  it.each(['2027-12-31T18:00:00', '31/12/2027', '2027-13-01', '2027-02-29', '2027-12-31T24:00Z', 'tomorrow'])('refuses %s', (text) => expect(parseExpiresAt(text)).toBeNull());
});

describe('FingerprintSet', () => {
  it('remembers the first line of each fingerprint across growth', () => {
    const set = new FingerprintSet(4);
    const fingerprints = Array.from({ length: 5000 }, (_, i) => {
      const f = Buffer.alloc(32);
      f.writeUInt32LE(i * 2654435761 >>> 0, 0);
      f.writeUInt32LE(i, 8);
      return f;
    });
    fingerprints.forEach((f, i) => expect(set.firstLineOrAdd(f, i + 1)).toBe(0));
    expect(set.size).toBe(5000);
    fingerprints.forEach((f, i) => expect(set.firstLineOrAdd(f, 99_999)).toBe(i + 1));
    // Same first word, other bytes: a different fingerprint.
    const twin = Buffer.from(fingerprints[7]!);
    twin[15]! ^= 1;
    expect(set.firstLineOrAdd(twin, 6000)).toBe(0);
  });
});
