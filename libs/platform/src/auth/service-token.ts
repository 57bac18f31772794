import type { KeyObject } from 'node:crypto';
import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  Logger,
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
import { GATEWAY_ISSUER } from './identity';
import { ReplayGuard } from './replay-guard';
import {
  CLOCK_SKEW_SECONDS,
  parsePrivateKey,
  parsePublicKey,
  parseTrustedKeys,
  receivedRequest,
  signRequestToken,
  verifyRequestToken,
  type RequestBinding,
  type RequestTokenRefusal,
  type RequestWithBodyDigest,
  type SignOptions,
} from './request-token';

/**
 * Service-to-service authentication, for the few internal calls the spec allows (delivery asking
 * the vault to reveal a buyer's codes). The caller signs a token with its own private key
 * (SERVICE_SIGNING_KEY) for the one service it calls (the audience) and the one request it sends
 * (method, path, body digest); it lives seconds and is accepted once. The callee holds the public
 * keys of the callers it accepts (TRUSTED_SERVICE_KEYS) and lets in only those its route names.
 * The gateway never routes `/internal/...`, and strips this header from what it forwards.
 */
export const SERVICE_TOKEN_HEADER = 'x-kami-service';

/** Service names: what SERVICE_NAME holds (`delivery`, `vault`, ...). */
const SERVICE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** Signs a token saying `caller` sends this request to `audience` (Ed25519 with the caller's own key). */
export function signServiceToken(caller: string, audience: string, request: RequestBinding, privateKey: KeyObject, options?: SignOptions): string {
  if (!SERVICE_NAME_PATTERN.test(caller) || !SERVICE_NAME_PATTERN.test(audience)) throw new Error('service names are lower-case letters, digits and dashes');
  return signRequestToken('service', caller, audience, request, privateKey, {}, options);
}

export type ServiceTokenVerification = { ok: true; caller: string; jti: string; exp: number } | { ok: false; reason: RequestTokenRefusal };

/** Checks a token against the callers' public keys, this service and the request it came with; returns the caller. */
export function verifyServiceToken(token: string, audience: string, request: RequestBinding, trustedKeys: ReadonlyMap<string, KeyObject>, now = Date.now()): ServiceTokenVerification {
  const result = verifyRequestToken(token, { typ: 'service', audience, request, keyOf: (issuer) => trustedKeys.get(issuer), now });
  if (!result.ok) return result;
  if (!SERVICE_NAME_PATTERN.test(result.claims.iss)) return { ok: false, reason: 'malformed' };
  return { ok: true, caller: result.claims.iss, jti: result.claims.jti, exp: result.claims.exp };
}

/** This service's signer for the internal calls it makes (its SERVICE_SIGNING_KEY). */
export class ServiceTokenSigner {
  private readonly key: KeyObject;

  constructor(
    private readonly service: string,
    signingKey: string | undefined,
  ) {
    if (!signingKey) throw new Error(`${service} calls other services: set SERVICE_SIGNING_KEY (its Ed25519 private key)`);
    this.key = parsePrivateKey(signingKey);
  }

  /** A token for exactly this request to `audience`. */
  sign(audience: string, request: { method: string; path: string; bodyDigest: string }): string {
    return signServiceToken(this.service, audience, request, this.key);
  }
}

export const SERVICE_CALLERS = 'kami:service-callers';

export type RequestWithServiceCaller = Request & { serviceCaller?: string };

/**
 * Verifies the service token of a route marked `@ServiceCallers([...])`: signed by a caller whose
 * public key this service holds (TRUSTED_SERVICE_KEYS), for this service and this very request,
 * not seen before. No, a bad or a replayed token is 401 `service_unauthenticated`; a valid token
 * from a service the route does not name is 403 `service_forbidden`. A gateway identity header
 * counts for nothing here.
 */
@Injectable()
export class ServiceTokenGuard implements CanActivate {
  private readonly logger = new Logger(ServiceTokenGuard.name);
  private readonly trustedKeys: ReadonlyMap<string, KeyObject>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly replays: ReplayGuard,
  ) {
    this.trustedKeys = trustedCallerKeys(config);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false;
    const callers = this.reflector.getAllAndOverride<readonly string[] | undefined>(SERVICE_CALLERS, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<RequestWithServiceCaller & RequestWithBodyDigest>();
    const header = request.headers[SERVICE_TOKEN_HEADER];
    if (typeof header !== 'string') throw serviceUnauthenticated();
    const result = verifyServiceToken(header, this.service, receivedRequest(request), this.trustedKeys);
    if (!result.ok) {
      this.logger.warn({ reason: result.reason }, 'refused a service token');
      throw serviceUnauthenticated();
    }
    if (!callers || !callers.includes(result.caller)) {
      throw new DomainError('service_forbidden', 403, `The ${result.caller} service may not call this route.`);
    }
    if (!(await this.replays.firstUse(`service:${result.jti}`, (result.exp + CLOCK_SKEW_SECONDS) * 1000))) {
      this.logger.warn({ reason: 'replayed', caller: result.caller }, 'refused a service token');
      throw serviceUnauthenticated();
    }
    request.serviceCaller = result.caller;
    return true;
  }
}

/**
 * The callers a service can authenticate: those of TRUSTED_SERVICE_KEYS, and the gateway by the
 * key its forwarded identities are verified with (GATEWAY_IDENTITY_PUBLIC_KEY), so the gateway can
 * call an internal route in its own name (a batch of storefront pulls it grouped) with no key of
 * its own to distribute. That grants it nothing new: it can already speak for any user. The two
 * token types are signed over different prefixes, so neither passes for the other.
 */
function trustedCallerKeys(config: ServiceConfig): Map<string, KeyObject> {
  const keys = parseTrustedKeys(config.TRUSTED_SERVICE_KEYS ?? '');
  if (keys.has(GATEWAY_ISSUER)) throw new Error(`TRUSTED_SERVICE_KEYS may not name ${GATEWAY_ISSUER}: it is trusted by GATEWAY_IDENTITY_PUBLIC_KEY`);
  if (config.GATEWAY_IDENTITY_PUBLIC_KEY) keys.set(GATEWAY_ISSUER, parsePublicKey(config.GATEWAY_IDENTITY_PUBLIC_KEY));
  return keys;
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
