import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { IdentityResolver, type Identity } from '@kami/platform';
import { ApiKeysService } from './api-keys/api-keys.service';
import { RateLimits } from '../rate-limit/rate-limits';
import { API_KEY_PREFIX } from './credentials';
import { SessionsService } from './sessions/sessions.service';

export const API_KEY_HEADER = 'x-api-key';

function bearerToken(request: Request): string | undefined {
  const authorization = request.headers.authorization;
  if (!authorization) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

/** The API key a request presents (`X-Api-Key`, or `Authorization: Bearer kami_...`), if any. */
export function presentedApiKey(request: Request): string | undefined {
  const header = request.headers[API_KEY_HEADER];
  if (typeof header === 'string' && header) return header.trim();
  const token = bearerToken(request);
  return token?.startsWith(API_KEY_PREFIX) ? token : undefined;
}

/**
 * The gateway's way of knowing a caller: `X-Api-Key: kami_...` or `Authorization: Bearer kami_...`
 * for API keys, `Authorization: Bearer <jwt>` for portal sessions. A credential that is present
 * but wrong is an error (401 with its code), not an anonymous request.
 */
@Injectable()
export class GatewayIdentityResolver extends IdentityResolver {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly sessions: SessionsService,
    private readonly limits: RateLimits,
  ) {
    super();
  }

  async resolve(request: Request): Promise<Identity | undefined> {
    const apiKey = presentedApiKey(request);
    if (apiKey !== undefined) return this.viaApiKey(apiKey);
    const token = bearerToken(request);
    return token === undefined ? undefined : this.sessions.identify(token);
  }

  private async viaApiKey(presented: string): Promise<Identity> {
    const identity = await this.apiKeys.authenticate(presented);
    await this.limits.consumeApiKey(identity.principalId);
    return identity;
  }
}
