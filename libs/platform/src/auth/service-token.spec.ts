import { generateKeyPairSync, sign } from 'node:crypto';
import 'reflect-metadata';
import { Controller, Post, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../errors/domain-error';
import { ACCESS_POLICY } from './access';
import { signIdentity, type Identity } from './identity';
import { MemoryReplayGuard } from './replay-guard';
import { bodyDigest, type RequestBinding } from './request-token';
import {
  SERVICE_CALLERS,
  SERVICE_TOKEN_HEADER,
  ServiceCallers,
  ServiceTokenGuard,
  ServiceTokenSigner,
  signServiceToken,
  verifyServiceToken,
  type RequestWithServiceCaller,
} from './service-token';

const keys = { delivery: generateKeyPairSync('ed25519'), ordering: generateKeyPairSync('ed25519'), settlement: generateKeyPairSync('ed25519'), gateway: generateKeyPairSync('ed25519') };
const der = (key: ReturnType<typeof generateKeyPairSync>['publicKey'], type: 'spki' | 'pkcs8'): string => key.export({ type, format: 'der' }).toString('base64url');
const trusted = new Map([
  ['delivery', keys.delivery.publicKey],
  ['ordering', keys.ordering.publicKey],
]);
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const nowSeconds = Math.floor(NOW / 1000);
const BODY = '{"buyerId":"b","codeIds":["1"]}';
const request: RequestBinding = { method: 'POST', path: '/internal/v1/reveals', bodyDigest: bodyDigest(BODY) };

const forge = (claims: unknown, key = keys.delivery.privateKey): string => {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${sign(null, Buffer.from(`kami.service.v2:${body}`), key).toString('base64url')}`;
};

describe('signServiceToken / verifyServiceToken', () => {
  it('round-trips the caller for its audience and request', () => {
    const token = signServiceToken('delivery', 'vault', request, keys.delivery.privateKey, { now: NOW });
    expect(verifyServiceToken(token, 'vault', request, trusted, NOW + 10_000)).toEqual({ ok: true, caller: 'delivery', jti: expect.any(String), exp: nowSeconds + 30 });
  });

  it('takes the caller from the key that verifies, not from the claim: another service’s key naming delivery is refused', () => {
    expect(verifyServiceToken(signServiceToken('delivery', 'vault', request, keys.ordering.privateKey, { now: NOW }), 'vault', request, trusted, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyServiceToken(signServiceToken('delivery', 'vault', request, keys.settlement.privateKey, { now: NOW }), 'vault', request, trusted, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyServiceToken(signServiceToken('settlement', 'vault', request, keys.settlement.privateKey, { now: NOW }), 'vault', request, trusted, NOW)).toEqual({ ok: false, reason: 'unknown signer' });
  });

  it('refuses a token moved onto another method, path, query, body or audience', () => {
    const token = signServiceToken('delivery', 'vault', request, keys.delivery.privateKey, { now: NOW });
    for (const other of [{ ...request, method: 'GET' }, { ...request, path: '/internal/v1/reveals?all=1' }, { ...request, bodyDigest: bodyDigest(`${BODY} `) }]) {
      expect(verifyServiceToken(token, 'vault', other, trusted, NOW)).toEqual({ ok: false, reason: 'wrong request' });
    }
    expect(verifyServiceToken(token, 'settlement', request, trusted, NOW)).toEqual({ ok: false, reason: 'wrong audience' });
  });

  it('lives 30 seconds at most', () => {
    const token = signServiceToken('delivery', 'vault', request, keys.delivery.privateKey, { now: NOW });
    expect(verifyServiceToken(token, 'vault', request, trusted, NOW + 36_000)).toEqual({ ok: false, reason: 'expired' });
    const claims = { typ: 'service', iss: 'delivery', aud: 'vault', htm: 'POST', htu: request.path, bd: request.bodyDigest, jti: 'c0a8012e-7f3b-4c55-9d2e-5b1f0e9a7d31' };
    expect(verifyServiceToken(forge({ ...claims, iat: nowSeconds, exp: nowSeconds + 300 }), 'vault', request, trusted, NOW)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyServiceToken(forge({ ...claims, iat: nowSeconds, exp: nowSeconds + 30 }), 'vault', request, trusted, NOW).ok).toBe(true);
    expect(() => signServiceToken('delivery', 'vault', request, keys.delivery.privateKey, { ttlSeconds: 60 })).toThrow();
  });

  it('refuses malformed tokens and names', () => {
    for (const bad of ['', 'delivery', 'a.b.c', `${'x'.repeat(5000)}.y`]) expect(verifyServiceToken(bad, 'vault', request, trusted, NOW).ok).toBe(false);
    expect(() => signServiceToken('Not A Service', 'vault', request, keys.delivery.privateKey)).toThrow();
  });
});

describe('ServiceTokenSigner', () => {
  it('signs with the service’s own SERVICE_SIGNING_KEY, and will not start without one', () => {
    const signer = new ServiceTokenSigner('delivery', der(keys.delivery.privateKey, 'pkcs8'));
    expect(verifyServiceToken(signer.sign('vault', request), 'vault', request, trusted).ok).toBe(true);
    expect(() => new ServiceTokenSigner('delivery', undefined)).toThrow(/SERVICE_SIGNING_KEY/);
    expect(() => new ServiceTokenSigner('delivery', der(keys.delivery.publicKey, 'spki'))).toThrow();
  });
});

describe('ServiceCallers + ServiceTokenGuard', () => {
  @Controller('internal/v1')
  class InternalController {
    @ServiceCallers(['delivery'])
    @Post('reveals')
    reveal(): void {}

    @ServiceCallers(['gateway'])
    @Post('reveals')
    grouped(): void {}
  }

  const config = {
    TRUSTED_SERVICE_KEYS: `delivery:${der(keys.delivery.publicKey, 'spki')},ordering:${der(keys.ordering.publicKey, 'spki')}`,
    GATEWAY_IDENTITY_PUBLIC_KEY: der(keys.gateway.publicKey, 'spki'),
  };
  const guard = new ServiceTokenGuard(new Reflector(), config as never, 'vault', new MemoryReplayGuard());

  function contextWith(headers: Record<string, string>, body = BODY, handler = InternalController.prototype.reveal): { context: ExecutionContext; request: RequestWithServiceCaller } {
    const req = { headers: { 'content-length': String(body.length), ...headers }, method: 'POST', originalUrl: request.path, bodyDigest: bodyDigest(body) } as unknown as RequestWithServiceCaller;
    const context = {
      getType: () => 'http',
      getHandler: () => handler,
      getClass: () => InternalController,
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    return { context, request: req };
  }

  async function refusal(headers: Record<string, string>, body?: string, handler?: () => void): Promise<{ status: number; code: string } | 'allowed'> {
    try {
      await guard.canActivate(contextWith(headers, body, handler).context);
      return 'allowed';
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { status: error.status, code: error.code };
    }
  }

  const deliveryToken = (): string => signServiceToken('delivery', 'vault', request, keys.delivery.privateKey);
  const unauthenticated = { status: 401, code: 'service_unauthenticated' };

  it('marks the route public for the user-identity guard and lists its callers', () => {
    expect(Reflect.getMetadata(ACCESS_POLICY, InternalController.prototype.reveal)).toEqual({ public: true });
    expect(Reflect.getMetadata(SERVICE_CALLERS, InternalController.prototype.reveal)).toEqual(['delivery']);
  });

  it('lets a listed service in once and tells the handler who called; the same token again is refused', async () => {
    const token = deliveryToken();
    const { context, request: req } = contextWith({ [SERVICE_TOKEN_HEADER]: token });
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(req.serviceCaller).toBe('delivery');
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: token })).toEqual(unauthenticated);
  });

  it('refuses a missing, forged, expired, misdirected or moved token with 401 service_unauthenticated', async () => {
    expect(await refusal({})).toEqual(unauthenticated);
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'vault', request, keys.settlement.privateKey) })).toEqual(unauthenticated);
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'vault', request, keys.delivery.privateKey, { now: Date.now() - 120_000 }) })).toEqual(unauthenticated);
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'ordering', request, keys.delivery.privateKey) })).toEqual(unauthenticated);
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: deliveryToken() }, '{"buyerId":"someone else"}')).toEqual(unauthenticated);
  });

  it('refuses a gateway identity header in place of a service token with 401', async () => {
    const identity: Identity = { organisationId: '6c1f1f0e-4c0a-4b8e-9d55-1f1a4a1c2b3d', organisationType: 'operator', principalType: 'user', principalId: 'u1', roles: ['admin'] };
    const header = signIdentity(identity, 'vault', request, keys.delivery.privateKey);
    expect(await refusal({ 'x-kami-identity': header })).toEqual(unauthenticated);
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: header })).toEqual(unauthenticated);
  });

  it('refuses a trusted service the route does not name with 403 service_forbidden', async () => {
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('ordering', 'vault', request, keys.ordering.privateKey) })).toEqual({ status: 403, code: 'service_forbidden' });
  });

  it('knows the gateway by its identity key (GATEWAY_IDENTITY_PUBLIC_KEY): let in where a route names it, and nowhere else', async () => {
    const gatewayToken = (key = keys.gateway.privateKey): string => signServiceToken('gateway', 'vault', request, key);
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: gatewayToken() }, undefined, InternalController.prototype.grouped)).toBe('allowed');
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: gatewayToken() })).toEqual({ status: 403, code: 'service_forbidden' });
    // Signed by another service's key, or an identity token of the gateway's in place of a service token.
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: gatewayToken(keys.delivery.privateKey) }, undefined, InternalController.prototype.grouped)).toEqual(unauthenticated);
    const identity: Identity = { organisationId: '6c1f1f0e-4c0a-4b8e-9d55-1f1a4a1c2b3d', organisationType: 'merchant', principalType: 'user', principalId: 'u1', roles: ['admin'] };
    expect(await refusal({ [SERVICE_TOKEN_HEADER]: signIdentity(identity, 'vault', request, keys.gateway.privateKey) }, undefined, InternalController.prototype.grouped)).toEqual(unauthenticated);
    // A service holding no gateway key does not know it at all.
    const withoutGateway = new ServiceTokenGuard(new Reflector(), { TRUSTED_SERVICE_KEYS: config.TRUSTED_SERVICE_KEYS } as never, 'vault', new MemoryReplayGuard());
    await expect(withoutGateway.canActivate(contextWith({ [SERVICE_TOKEN_HEADER]: gatewayToken() }, BODY, InternalController.prototype.grouped).context)).rejects.toMatchObject({ code: 'service_unauthenticated' });
  });

  it('will not start with TRUSTED_SERVICE_KEYS naming the gateway (it is known by its identity key)', () => {
    expect(() => new ServiceTokenGuard(new Reflector(), { TRUSTED_SERVICE_KEYS: `gateway:${der(keys.delivery.publicKey, 'spki')}` } as never, 'vault', new MemoryReplayGuard())).toThrow(/may not name gateway/);
  });
});
