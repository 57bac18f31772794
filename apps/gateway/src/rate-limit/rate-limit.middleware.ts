import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DomainError, sendProblem, toProblem, type Identity } from '@kami/platform';
import { ApiKeysService } from '../identity/api-keys/api-keys.service';
import { presentedApiKey } from '../identity/gateway-identity.resolver';
import { clientKey } from './client-key';
import { RateLimits } from './rate-limits';

const LOGIN_PATH = '/api/v1/identity/sessions';

/**
 * Limits every request per client IP, and login attempts per IP more tightly, before anything
 * else runs. The client is the address the trusted proxies name (TRUSTED_PROXIES; req.ip), an
 * IPv6 client counted per /64 (clientKey). (The per-API-key limit is applied once a key is
 * verified: GatewayIdentityResolver; the per-account login delays once the email is read:
 * LoginThrottle.) A key this gateway verified lately (ApiKeyCache) is known here already: its
 * counter and the IP's are consumed together, in one Redis round trip, and the request goes on
 * with that identity. Over a limit: 429 problem+json with Retry-After.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  constructor(
    private readonly limits: RateLimits,
    private readonly apiKeys: ApiKeysService,
  ) {}

  async use(req: Request & { id?: string; identity?: Identity }, res: Response, next: NextFunction): Promise<void> {
    const ip = clientKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    try {
      const apiKey = presentedApiKey(req);
      const known = apiKey === undefined ? undefined : this.apiKeys.cached(apiKey);
      if (known) {
        await this.limits.consumeIpAndApiKey(ip, known.principalId);
        req.identity = known;
      } else {
        await this.limits.consumeIp(ip);
      }
      if (req.method === 'POST' && isLoginPath(req.originalUrl)) await this.limits.consumeLogin(ip);
    } catch (error) {
      if (error instanceof DomainError) return sendProblem(res, toProblem(error, req.id), req.originalUrl);
      return next(error);
    }
    next();
  }
}

/**
 * Whether a URL reaches the login route. Express matches routes case-insensitively and with an
 * optional trailing slash, so `/API/V1/IDENTITY/SESSIONS/` logs in too and must count as well.
 */
function isLoginPath(originalUrl: string): boolean {
  let path: string;
  try {
    // Also resolves an absolute-form request target (`POST http://host/api/v1/...`).
    path = new URL(originalUrl, 'http://gateway.invalid').pathname;
  } catch {
    return false;
  }
  return path.toLowerCase().replace(/\/+$/, '') === LOGIN_PATH;
}
