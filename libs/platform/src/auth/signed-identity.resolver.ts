import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { SERVICE_CONFIG, SERVICE_NAME } from '../platform.tokens';
import type { ServiceConfig } from '../config/service-config';
import { IdentityResolver } from './access';
import { IDENTITY_HEADER, verifyIdentity, type Identity } from './identity';

/** Behind the gateway: trusts only an identity header signed for this service. */
@Injectable()
export class SignedIdentityResolver extends IdentityResolver {
  private readonly logger = new Logger(SignedIdentityResolver.name);

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {
    super();
  }

  async resolve(request: Request): Promise<Identity | undefined> {
    const header = request.headers[IDENTITY_HEADER];
    if (typeof header !== 'string') return undefined;
    const result = verifyIdentity(header, this.service, this.config.INTERNAL_IDENTITY_SECRET);
    if (!result.ok) {
      this.logger.warn({ reason: result.reason }, 'refused a forwarded identity');
      return undefined;
    }
    return result.identity;
  }
}
