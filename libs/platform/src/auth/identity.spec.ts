import { generateKeyPairSync, sign } from 'node:crypto';
import { signIdentity, verifyIdentity, type Identity } from './identity';
import { bodyDigest, EMPTY_BODY_DIGEST, UNSIGNED_PAYLOAD, type RequestBinding } from './request-token';
import { signServiceToken, verifyServiceToken } from './service-token';

const gateway = generateKeyPairSync('ed25519');
const service = generateKeyPairSync('ed25519');
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const nowSeconds = Math.floor(NOW / 1000);

const identity: Identity = {
  organisationId: '6c1f1f0e-4c0a-4b8e-9d55-1f1a4a1c2b3d',
  organisationType: 'merchant',
  principalType: 'user',
  principalId: 'user-42',
  roles: ['admin'],
};

const request: RequestBinding = { method: 'POST', path: '/api/v1/orders?dryRun=false', bodyDigest: bodyDigest('{"lines":[]}') };

const decode = (body: string): Record<string, unknown> => JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
/** A header in the wire format with any claims, signed with any key (for headers the signer would refuse to make). */
const forge = (claims: unknown, key = gateway.privateKey): string => {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${sign(null, Buffer.from(`kami.identity.v2:${body}`), key).toString('base64url')}`;
};
const validClaims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  typ: 'identity',
  iss: 'gateway',
  aud: 'ordering',
  htm: request.method,
  htu: request.path,
  bd: request.bodyDigest,
  iat: nowSeconds,
  exp: nowSeconds + 30,
  jti: 'c0a8012e-7f3b-4c55-9d2e-5b1f0e9a7d31',
  idn: identity,
  ...over,
});

describe('signIdentity / verifyIdentity', () => {
  it('round-trips an identity for its audience and request, with a fresh jti each time', () => {
    const header = signIdentity(identity, 'ordering', request, gateway.privateKey, { now: NOW });
    const result = verifyIdentity(header, 'ordering', request, gateway.publicKey, NOW + 10_000);
    expect(result).toEqual({ ok: true, identity, claims: expect.objectContaining({ iss: 'gateway', aud: 'ordering', htm: 'POST', htu: request.path, bd: request.bodyDigest, jti: expect.any(String) }) });
    const again = verifyIdentity(signIdentity(identity, 'ordering', request, gateway.privateKey, { now: NOW }), 'ordering', request, gateway.publicKey, NOW);
    expect(again.ok && result.ok && again.claims.jti !== result.claims.jti).toBe(true);
  });

  it('refuses a header signed with any key but the gateway’s (a service’s own, a stranger’s)', () => {
    const header = signIdentity(identity, 'ordering', request, service.privateKey, { now: NOW });
    expect(verifyIdentity(header, 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyIdentity(forge(validClaims(), generateKeyPairSync('ed25519').privateKey), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses a header whose claims were changed after signing', () => {
    const [body, signature] = signIdentity({ ...identity, roles: ['member'] }, 'ordering', request, gateway.privateKey, { now: NOW }).split('.');
    const promoted = Buffer.from(JSON.stringify({ ...decode(body!), idn: { ...identity, organisationType: 'operator' } })).toString('base64url');
    expect(verifyIdentity(`${promoted}.${signature}`, 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses a header moved onto another method, path, query or body', () => {
    const header = signIdentity(identity, 'ordering', request, gateway.privateKey, { now: NOW });
    const others: RequestBinding[] = [
      { ...request, method: 'PUT' },
      { ...request, path: '/api/v1/orders' },
      { ...request, path: '/api/v1/orders?dryRun=true' },
      { ...request, bodyDigest: bodyDigest('{"lines":[1]}') },
      { ...request, bodyDigest: UNSIGNED_PAYLOAD },
      { ...request, bodyDigest: EMPTY_BODY_DIGEST },
    ];
    for (const other of others) expect(verifyIdentity(header, 'ordering', other, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'wrong request' });
    expect(verifyIdentity(header, 'ordering', { ...request, method: 'post' }, gateway.publicKey, NOW).ok).toBe(true);
  });

  it('accepts only its audience', () => {
    const header = signIdentity(identity, 'vault', request, gateway.privateKey, { now: NOW });
    expect(verifyIdentity(header, 'settlement', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'wrong audience' });
  });

  it('lives seconds: expired, too long-lived or issued in the future is refused', () => {
    const header = signIdentity(identity, 'ordering', request, gateway.privateKey, { now: NOW });
    expect(verifyIdentity(header, 'ordering', request, gateway.publicKey, NOW + 34_000).ok).toBe(true);
    expect(verifyIdentity(header, 'ordering', request, gateway.publicKey, NOW + 36_000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyIdentity(forge(validClaims({ exp: nowSeconds + 3600 })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyIdentity(forge(validClaims({ iat: nowSeconds + 60, exp: nowSeconds + 80 })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyIdentity(forge(validClaims({ exp: undefined })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'expired' });
    expect(() => signIdentity(identity, 'ordering', request, gateway.privateKey, { ttlSeconds: 31 })).toThrow();
  });

  it('refuses malformed headers and identities', () => {
    const header = signIdentity(identity, 'ordering', request, gateway.privateKey, { now: NOW });
    for (const bad of ['', 'abc', `${header}.extra`, `.${header.split('.')[1]}`, `${header.split('.')[0]}.`]) {
      expect(verifyIdentity(bad, 'ordering', request, gateway.publicKey, NOW).ok).toBe(false);
    }
    expect(verifyIdentity(forge('not an object'), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyIdentity(forge(validClaims({ jti: undefined })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyIdentity(forge(validClaims({ idn: { ...identity, organisationType: 'root' } })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyIdentity(forge(validClaims({ idn: { ...identity, roles: ['owner'] } })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyIdentity(forge(validClaims({ iss: 'delivery' })), 'ordering', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'unknown signer' });
  });

  it('keeps only the identity fields', () => {
    const header = signIdentity({ ...identity, ...({ sneaky: true } as object) } as Identity, 'ordering', request, gateway.privateKey, { now: NOW });
    const result = verifyIdentity(header, 'ordering', request, gateway.publicKey, NOW);
    expect(result.ok && result.identity).toEqual(identity);
  });

  it('is never taken for a service token, nor a service token for it, even under one key', () => {
    const header = signIdentity(identity, 'vault', request, service.privateKey, { now: NOW });
    expect(verifyServiceToken(header, 'vault', request, new Map([['gateway', service.publicKey]]), NOW)).toEqual({ ok: false, reason: 'malformed' });
    const token = signServiceToken('gateway', 'vault', request, gateway.privateKey, { now: NOW });
    expect(verifyIdentity(token, 'vault', request, gateway.publicKey, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});
