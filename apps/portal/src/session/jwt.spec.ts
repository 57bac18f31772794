import { decodeClaims, isExpired } from './jwt';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: unknown) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.signature`;

describe('session claims', () => {
  it('reads the organisation and its type from a session token', () => {
    const claims = decodeClaims(token({ sub: 'u1', org: 'o1', orgType: 'merchant', roles: ['admin'], exp: 2_000_000_000, aud: 'kami-portal' }));
    expect(claims).toEqual({ sub: 'u1', org: 'o1', orgType: 'merchant', roles: ['admin'], exp: 2_000_000_000 });
    expect(isExpired(claims!, 1_000_000_000_000)).toBe(false);
    expect(isExpired(claims!, 2_000_000_000_000)).toBe(true);
  });

  it('refuses anything else', () => {
    expect(decodeClaims('kami_live_abc')).toBeNull();
    expect(decodeClaims(token({ sub: 'u1', org: 'o1', orgType: 'admin', exp: 1 }))).toBeNull();
    expect(decodeClaims('a.!!!.c')).toBeNull();
  });
});
