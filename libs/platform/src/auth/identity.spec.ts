import { createHmac } from 'node:crypto';
import { signIdentity, verifyIdentity, type Identity } from './identity';

const SECRET = 'gateway-to-services-secret-0123456789abcdef';
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

const identity: Identity = {
  organisationId: '6c1f1f0e-4c0a-4b8e-9d55-1f1a4a1c2b3d',
  organisationType: 'merchant',
  principalType: 'user',
  principalId: 'user-42',
  roles: ['admin'],
};

const decode = (body: string): Record<string, unknown> => JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
const encode = (token: Record<string, unknown>): string => Buffer.from(JSON.stringify(token)).toString('base64url');
const signWith = (body: string, secret: string): string => createHmac('sha256', secret).update(body).digest('base64url');

describe('signIdentity / verifyIdentity', () => {
  it('round-trips an identity for its audience', () => {
    const header = signIdentity(identity, 'ordering', SECRET, 60, NOW);
    expect(verifyIdentity(header, 'ordering', SECRET, NOW + 30_000)).toEqual({ ok: true, identity });
  });

  it('returns only the identity fields, not the token claims', () => {
    const header = signIdentity({ ...identity, ...({ sneaky: true } as object) } as Identity, 'ordering', SECRET, 60, NOW);
    const result = verifyIdentity(header, 'ordering', SECRET, NOW);
    expect(result.ok && Object.keys(result.identity).sort()).toEqual(['organisationId', 'organisationType', 'principalId', 'principalType', 'roles']);
  });

  it('refuses a tampered body (e.g. another organisation or extra roles)', () => {
    const [body, signature] = signIdentity({ ...identity, roles: ['member'] }, 'ordering', SECRET, 60, NOW).split('.');
    const forged = encode({ ...decode(body), organisationId: '00000000-0000-4000-8000-000000000000', roles: ['admin'] });
    expect(verifyIdentity(`${forged}.${signature}`, 'ordering', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses a tampered or foreign signature', () => {
    const [body, signature] = signIdentity(identity, 'ordering', SECRET, 60, NOW).split('.');
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(verifyIdentity(`${body}.${flipped}`, 'ordering', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyIdentity(`${body}.${signWith(body, 'some-other-secret-0123456789abcdef')}`, 'ordering', SECRET, NOW)).toEqual({
      ok: false,
      reason: 'bad signature',
    });
    expect(verifyIdentity(`${body}.`, 'ordering', SECRET, NOW).ok).toBe(false);
  });

  it('refuses malformed headers', () => {
    const header = signIdentity(identity, 'ordering', SECRET, 60, NOW);
    for (const bad of ['', 'no-dot', `${header}.extra`, '.']) {
      expect(verifyIdentity(bad, 'ordering', SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
    // Correctly signed but not JSON, or with an unknown organisation type.
    const notJson = Buffer.from('not json').toString('base64url');
    expect(verifyIdentity(`${notJson}.${signWith(notJson, SECRET)}`, 'ordering', SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    const badType = encode({ ...identity, organisationType: 'superuser', aud: 'ordering', exp: NOW / 1000 + 60 });
    expect(verifyIdentity(`${badType}.${signWith(badType, SECRET)}`, 'ordering', SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses an identity signed for another service', () => {
    const header = signIdentity(identity, 'vault', SECRET, 60, NOW);
    expect(verifyIdentity(header, 'settlement', SECRET, NOW)).toEqual({ ok: false, reason: 'wrong audience' });
    expect(verifyIdentity(header, 'vault', SECRET, NOW).ok).toBe(true);
  });

  it('refuses an expired identity', () => {
    const header = signIdentity(identity, 'ordering', SECRET, 60, NOW);
    expect(verifyIdentity(header, 'ordering', SECRET, NOW + 59_000).ok).toBe(true);
    expect(verifyIdentity(header, 'ordering', SECRET, NOW + 61_000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyIdentity(header, 'ordering', SECRET, NOW + 3_600_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token without an expiry even when correctly signed', () => {
    const body = encode({ ...identity, aud: 'ordering' });
    expect(verifyIdentity(`${body}.${signWith(body, SECRET)}`, 'ordering', SECRET, NOW)).toEqual({ ok: false, reason: 'expired' });
  });
});
