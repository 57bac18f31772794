import type { KeyObject } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { SERVICE_CONFIG, SERVICE_NAME } from '../platform.tokens';
import type { ServiceConfig } from '../config/service-config';
import { IdentityResolver } from './access';
import { IDENTITY_HEADER, verifyIdentity, type Identity } from './identity';
import { ReplayGuard } from './replay-guard';
import { CLOCK_SKEW_SECONDS, parsePublicKey, receivedRequest } from './request-token';

/**
 * Behind the gateway: trusts only an identity header signed with the gateway's key
 * (GATEWAY_IDENTITY_PUBLIC_KEY) for this service and this very request, and only once.
 */
@Injectable()
export class SignedIdentityResolver extends IdentityResolver {
  private readonly logger = new Logger(SignedIdentityResolver.name);
  private readonly gatewayKey: KeyObject;

  constructor(
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly replays: ReplayGuard,
  ) {
    super();
    if (!config.GATEWAY_IDENTITY_PUBLIC_KEY) throw new Error(`${service} trusts identities the gateway forwards: set GATEWAY_IDENTITY_PUBLIC_KEY`);
    this.gatewayKey = parsePublicKey(config.GATEWAY_IDENTITY_PUBLIC_KEY);
  }

  async resolve(request: Request): Promise<Identity | undefined> {
    const header = request.headers[IDENTITY_HEADER];
    if (typeof header !== 'string') return undefined;
    const result = verifyIdentity(header, this.service, receivedRequest(request), this.gatewayKey);
    if (!result.ok) {
      this.logger.warn({ reason: result.reason }, 'refused a forwarded identity');
      return undefined;
    }
    if (!(await this.replays.firstUse(`identity:${result.claims.jti}`, (result.claims.exp + CLOCK_SKEW_SECONDS) * 1000))) {
      this.logger.warn({ reason: 'replayed' }, 'refused a forwarded identity');
      return undefined;
    }
    return result.identity;
  }
}
