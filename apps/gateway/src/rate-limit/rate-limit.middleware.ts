import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, PROBLEM_CONTENT_TYPE, Redis, SERVICE_CONFIG, toProblem } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { API_KEY_HEADER } from '../identity/gateway-identity.resolver';

const LOGIN_PATH = '/api/v1/identity/sessions';

/**
 * Fixed-window limits kept in Redis, so every gateway instance shares them: per client IP,
 * per API key (by its public prefix), and a tighter one for login attempts per IP.
 * Over the limit: 429 problem+json with Retry-After.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  private readonly perIp: RateLimiterRedis;
  private readonly perKey: RateLimiterRedis;
  private readonly logins: RateLimiterRedis;

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig, redis: Redis) {
    const duration = config.RATE_LIMIT_WINDOW_SECONDS;
    this.perIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.REDIS_KEY_PREFIX}rl:ip`, points: config.RATE_LIMIT_PER_IP, duration });
    this.perKey = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.REDIS_KEY_PREFIX}rl:key`, points: config.RATE_LIMIT_PER_API_KEY, duration });
    this.logins = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.REDIS_KEY_PREFIX}rl:login`, points: config.RATE_LIMIT_LOGIN_PER_IP, duration });
  }

  async use(req: Request & { id?: string }, res: Response, next: NextFunction): Promise<void> {
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const keyPrefix = apiKeyPrefixOf(req);
    try {
      await this.perIp.consume(ip);
      if (keyPrefix) await this.perKey.consume(keyPrefix);
      if (req.method === 'POST' && isLoginPath(req.originalUrl)) await this.logins.consume(ip);
      next();
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) return next(error);
      const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      const problem = toProblem(
        new DomainError('rate_limited', 429, `Too many requests; retry in ${retryAfterSeconds} s.`, { retryAfterSeconds }),
        req.id,
      );
      res.status(429).setHeader('Retry-After', String(retryAfterSeconds));
      res.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
    }
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

/** The public prefix of a presented API key (never the secret part). */
function apiKeyPrefixOf(req: Request): string | undefined {
  const header = req.headers[API_KEY_HEADER];
  const bearer = /^Bearer\s+(kami_[0-9a-f]{12})_/i.exec(req.headers.authorization ?? '');
  const fromHeader = typeof header === 'string' ? /^(kami_[0-9a-f]{12})_/.exec(header.trim()) : null;
  return fromHeader?.[1] ?? bearer?.[1];
}
