import { createHmac } from 'node:crypto';
import 'reflect-metadata';
import { Controller, Post, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '../errors/domain-error';
import { ACCESS_POLICY } from './access';
import { signIdentity, verifyIdentity, type Identity } from './identity';
import {
  MAX_SERVICE_TOKEN_TTL_SECONDS,
  SERVICE_CALLERS,
  SERVICE_TOKEN_HEADER,
  ServiceCallers,
  ServiceTokenGuard,
  signServiceToken,
  verifyServiceToken,
  type RequestWithServiceCaller,
} from './service-token';

const SECRET = 'gateway-to-services-secret-0123456789abcdef';
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

const encode = (claims: unknown): string => Buffer.from(JSON.stringify(claims)).toString('base64url');
const decode = (body: string): Record<string, unknown> => JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
/** A token signed in the wire format, with any claims (for tokens the signer would refuse to make). */
const forge = (claims: unknown, secret = SECRET): string => {
  const body = encode(claims);
  return `${body}.${createHmac('sha256', secret).update(`kami.service-token.v1:${body}`).digest('base64url')}`;
};
const nowSeconds = Math.floor(NOW / 1000);

describe('signServiceToken / verifyServiceToken', () => {
  it('round-trips the caller for its audience', () => {
    const token = signServiceToken('delivery', 'vault', SECRET, 60, NOW);
    expect(verifyServiceToken(token, 'vault', SECRET, NOW + 30_000)).toEqual({ ok: true, caller: 'delivery' });
  });

  it('is the documented wire format (so other languages and tests can sign one)', () => {
    const token = signServiceToken('delivery', 'vault', SECRET, 60, NOW);
    const [body] = token.split('.');
    expect(decode(body!)).toEqual({ typ: 'kami-service', iss: 'delivery', aud: 'vault', iat: nowSeconds, exp: nowSeconds + 60 });
    expect(forge(decode(body!))).toBe(token);
  });

  it('refuses a token for another service', () => {
    const token = signServiceToken('delivery', 'vault', SECRET, 60, NOW);
    expect(verifyServiceToken(token, 'settlement', SECRET, NOW)).toEqual({ ok: false, reason: 'wrong audience' });
  });

  it('refuses an expired token, and one that claims a lifetime longer than allowed', () => {
    const token = signServiceToken('delivery', 'vault', SECRET, 60, NOW);
    expect(verifyServiceToken(token, 'vault', SECRET, NOW + 59_000).ok).toBe(true);
    expect(verifyServiceToken(token, 'vault', SECRET, NOW + 61_000)).toEqual({ ok: false, reason: 'expired' });
    const longLived = forge({ typ: 'kami-service', iss: 'delivery', aud: 'vault', iat: nowSeconds, exp: nowSeconds + 86_400 });
    expect(verifyServiceToken(longLived, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'expired' });
    const fromTheFuture = forge({ typ: 'kami-service', iss: 'delivery', aud: 'vault', iat: nowSeconds + 3600, exp: nowSeconds + 3660 });
    expect(verifyServiceToken(fromTheFuture, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'expired' });
    const noExpiry = forge({ typ: 'kami-service', iss: 'delivery', aud: 'vault', iat: nowSeconds });
    expect(verifyServiceToken(noExpiry, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'expired' });
    expect(() => signServiceToken('delivery', 'vault', SECRET, MAX_SERVICE_TOKEN_TTL_SECONDS + 1, NOW)).toThrow();
  });

  it('refuses a tampered caller or a foreign secret', () => {
    const [body, signature] = signServiceToken('delivery', 'vault', SECRET, 60, NOW).split('.');
    const renamed = encode({ ...decode(body!), iss: 'settlement' });
    expect(verifyServiceToken(`${renamed}.${signature}`, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    const foreign = signServiceToken('delivery', 'vault', 'another-secret-0123456789abcdef-xyz', 60, NOW);
    expect(verifyServiceToken(foreign, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses malformed tokens', () => {
    const token = signServiceToken('delivery', 'vault', SECRET, 60, NOW);
    for (const bad of ['', '.', 'no-dot', `${token}.extra`, 'x'.repeat(2000)]) {
      expect(verifyServiceToken(bad, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verifyServiceToken(forge('not an object'), 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyServiceToken(forge({ iss: 'delivery', aud: 'vault', iat: nowSeconds, exp: nowSeconds + 60 }), 'vault', SECRET, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyServiceToken(forge({ typ: 'kami-service', iss: 'Not A Service', aud: 'vault', iat: nowSeconds, exp: nowSeconds + 60 }), 'vault', SECRET, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('a gateway identity header is never a service token, and a service token never an identity (same secret)', () => {
    const identity: Identity = { organisationId: '6c1f1f0e-4c0a-4b8e-9d55-1f1a4a1c2b3d', organisationType: 'merchant', principalType: 'user', principalId: 'u1', roles: ['admin'] };
    const header = signIdentity(identity, 'vault', SECRET, 60, NOW);
    expect(verifyServiceToken(header, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    // Even an identity whose body happens to carry service-token claims.
    const sneaky = signIdentity({ ...identity, ...({ typ: 'kami-service', iss: 'delivery', iat: nowSeconds } as object) } as Identity, 'vault', SECRET, 60, NOW);
    expect(verifyServiceToken(sneaky, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });

    const token = signServiceToken('delivery', 'vault', SECRET, 60, NOW);
    expect(verifyIdentity(token, 'vault', SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });
});

describe('ServiceCallers + ServiceTokenGuard', () => {
  @Controller('internal/v1')
  class InternalController {
    @ServiceCallers(['delivery'])
    @Post('reveals')
    reveal(): void {}
  }

  const guard = new ServiceTokenGuard(new Reflector(), { INTERNAL_IDENTITY_SECRET: SECRET } as never, 'vault');

  function contextWith(headers: Record<string, string>): { context: ExecutionContext; request: RequestWithServiceCaller } {
    const request = { headers } as unknown as RequestWithServiceCaller;
    const context = {
      getType: () => 'http',
      getHandler: () => InternalController.prototype.reveal,
      getClass: () => InternalController,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    return { context, request };
  }

  function refusal(headers: Record<string, string>): { status: number; code: string } | 'allowed' {
    try {
      guard.canActivate(contextWith(headers).context);
      return 'allowed';
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { status: error.status, code: error.code };
    }
  }

  it('marks the route public for the user-identity guard and lists its callers', () => {
    expect(Reflect.getMetadata(ACCESS_POLICY, InternalController.prototype.reveal)).toEqual({ public: true });
    expect(Reflect.getMetadata(SERVICE_CALLERS, InternalController.prototype.reveal)).toEqual(['delivery']);
  });

  it('lets a listed service in and tells the handler who called', () => {
    const { context, request } = contextWith({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'vault', SECRET) });
    expect(guard.canActivate(context)).toBe(true);
    expect(request.serviceCaller).toBe('delivery');
  });

  it('refuses a missing, forged, expired or misdirected token with 401 service_unauthenticated', () => {
    const unauthenticated = { status: 401, code: 'service_unauthenticated' };
    expect(refusal({})).toEqual(unauthenticated);
    expect(refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'vault', 'wrong-secret-0123456789abcdef-wrong') })).toEqual(unauthenticated);
    expect(refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'vault', SECRET, 60, Date.now() - 120_000) })).toEqual(unauthenticated);
    expect(refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('delivery', 'ordering', SECRET) })).toEqual(unauthenticated);
  });

  it('refuses a gateway identity header in place of a service token with 401', () => {
    const identity: Identity = { organisationId: '6c1f1f0e-4c0a-4b8e-9d55-1f1a4a1c2b3d', organisationType: 'operator', principalType: 'user', principalId: 'u1', roles: ['admin'] };
    const header = signIdentity(identity, 'vault', SECRET);
    expect(refusal({ 'x-kami-identity': header })).toEqual({ status: 401, code: 'service_unauthenticated' });
    expect(refusal({ [SERVICE_TOKEN_HEADER]: header })).toEqual({ status: 401, code: 'service_unauthenticated' });
  });

  it('refuses a valid token from a service not listed with 403 service_forbidden', () => {
    expect(refusal({ [SERVICE_TOKEN_HEADER]: signServiceToken('ordering', 'vault', SECRET) })).toEqual({ status: 403, code: 'service_forbidden' });
  });
});
