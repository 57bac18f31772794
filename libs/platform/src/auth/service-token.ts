import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { ServiceConfig } from '../config/service-config';
import { DomainError } from '../errors/domain-error';
import { SERVICE_CONFIG, SERVICE_NAME } from '../platform.tokens';
import { Public } from './access';

/**
 * Service-to-service authentication, for the few internal calls the spec allows (delivery asking
 * the vault to reveal a buyer's codes). The caller signs a short-lived token for the one service
 * it calls (the audience) with the shared INTERNAL_IDENTITY_SECRET and sends it in this header.
 * The gateway never routes `/internal/...`, so these routes are reachable only inside the network.
 */
export const SERVICE_TOKEN_HEADER = 'x-kami-service';

/**
 * Domain separation: the MAC covers this prefix and the body, while a gateway identity header's
 * MAC covers the body alone, so neither can ever be replayed as the other with the same secret.
 * The prefix holds a '.', which can never occur in a base64url body.
 */
const DOMAIN_PREFIX = 'kami.service-token.v1:';
const TOKEN_TYPE = 'kami-service';
/** Service names: what SERVICE_NAME holds (`delivery`, `vault`, ...). */
const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** A token may not live longer than this, whatever its signer asked for. */
export const MAX_SERVICE_TOKEN_TTL_SECONDS = 300;
/** How far a token's issue time may lie in the future (clock skew between hosts). */
const CLOCK_SKEW_SECONDS = 30;

interface ServiceTokenClaims {
  typ: typeof TOKEN_TYPE;
  /** the calling service */
  iss: string;
  /** the called service */
  aud: string;
  /** issued at, unix seconds */
  iat: number;
  /** expiry, unix seconds */
  exp: number;
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(DOMAIN_PREFIX).update(body).digest('base64url');
}

/** Signs a token saying `caller` calls `audience` (HMAC-SHA256, domain-separated, short expiry). */
export function signServiceToken(caller: string, audience: string, secret: string, ttlSeconds = 60, now = Date.now()): string {
  if (!SERVICE_NAME_PATTERN.test(caller) || !SERVICE_NAME_PATTERN.test(audience)) throw new Error('service names are lower-case letters, digits and dashes');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_SERVICE_TOKEN_TTL_SECONDS) {
    throw new Error(`a service token lives 1 to ${MAX_SERVICE_TOKEN_TTL_SECONDS} seconds`);
  }
  const iat = Math.floor(now / 1000);
  const claims: ServiceTokenClaims = { typ: TOKEN_TYPE, iss: caller, aud: audience, iat, exp: iat + ttlSeconds };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

export type ServiceTokenVerification = { ok: true; caller: string } | { ok: false; reason: 'malformed' | 'bad signature' | 'wrong audience' | 'expired' };

/** Checks a token's signature, type, audience and lifetime; returns the calling service. */
export function verifyServiceToken(token: string, audience: string, secret: string, now = Date.now()): ServiceTokenVerification {
  if (typeof token !== 'string' || token.length > 1024) return { ok: false, reason: 'malformed' };
  const [body, signature, extra] = token.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(mac(body, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'bad signature' };
  let claims: Partial<ServiceTokenClaims>;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<ServiceTokenClaims>;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (claims === null || typeof claims !== 'object' || claims.typ !== TOKEN_TYPE || typeof claims.iss !== 'string' || !SERVICE_NAME_PATTERN.test(claims.iss)) {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.aud !== audience) return { ok: false, reason: 'wrong audience' };
  const nowSeconds = now / 1000;
  if (
    typeof claims.exp !== 'number' ||
    typeof claims.iat !== 'number' ||
    claims.exp < nowSeconds ||
    claims.exp - claims.iat > MAX_SERVICE_TOKEN_TTL_SECONDS ||
    claims.iat > nowSeconds + CLOCK_SKEW_SECONDS
  ) {
    return { ok: false, reason: 'expired' };
  }
  return { ok: true, caller: claims.iss };
}

export const SERVICE_CALLERS = 'kami:service-callers';

export type RequestWithServiceCaller = Request & { serviceCaller?: string };

/**
 * Verifies the service token of a route marked `@ServiceCallers([...])`: signed with
 * INTERNAL_IDENTITY_SECRET for this service. No or a bad token is 401 `service_unauthenticated`;
 * a valid token from a service not listed is 403 `service_forbidden`. A gateway identity header
 * counts for nothing here.
 */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return false;
    const callers = this.reflector.getAllAndOverride<readonly string[] | undefined>(SERVICE_CALLERS, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<RequestWithServiceCaller>();
    const header = request.headers[SERVICE_TOKEN_HEADER];
    if (typeof header !== 'string') throw serviceUnauthenticated();
    const result = verifyServiceToken(header, this.service, this.config.INTERNAL_IDENTITY_SECRET);
    if (!result.ok) throw serviceUnauthenticated();
    if (!callers || !callers.includes(result.caller)) {
      throw new DomainError('service_forbidden', 403, `The ${result.caller} service may not call this route.`);
    }
    request.serviceCaller = result.caller;
    return true;
  }
}

const serviceUnauthenticated = (): DomainError =>
  new DomainError('service_unauthenticated', 401, `This internal route needs a valid ${SERVICE_TOKEN_HEADER} token signed for this service.`);

/**
 * Marks an internal route (or controller) as callable only by the named services, with a service
 * token. It is public to the user-identity access guard (no gateway identity is involved), and
 * the ServiceTokenGuard then demands the service token.
 */
export const ServiceCallers = (callers: readonly string[]): MethodDecorator & ClassDecorator =>
  applyDecorators(Public(), SetMetadata(SERVICE_CALLERS, callers), UseGuards(ServiceTokenGuard));

/** The service that called the current internal route (set by ServiceTokenGuard). */
export const CurrentServiceCaller = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const caller = context.switchToHttp().getRequest<RequestWithServiceCaller>().serviceCaller;
  if (!caller) throw serviceUnauthenticated();
  return caller;
});
