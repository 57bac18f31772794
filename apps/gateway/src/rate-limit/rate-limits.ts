import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError, Redis, SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';

export const rateLimited = (retryAfterSeconds: number): DomainError =>
  new DomainError('rate_limited', 429, `Too many requests; retry in ${retryAfterSeconds} s.`, { retryAfterSeconds });

/**
 * Fixed-window counters kept in Redis, so every gateway instance shares them: per client IP,
 * per verified API key, and a tighter one for login attempts per IP. Each `consume` throws
 * 429 `rate_limited` (with the seconds until the window frees up) when over its limit.
 */
@Injectable()
export class RateLimits {
  private readonly perIp: RateLimiterRedis;
  private readonly perKey: RateLimiterRedis;
  private readonly logins: RateLimiterRedis;

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig, redis: Redis) {
    const duration = config.RATE_LIMIT_WINDOW_SECONDS;
    const prefix = `${config.REDIS_KEY_PREFIX}rl`;
    this.perIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:ip`, points: config.RATE_LIMIT_PER_IP, duration });
    this.perKey = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:key`, points: config.RATE_LIMIT_PER_API_KEY, duration });
    this.logins = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:login`, points: config.RATE_LIMIT_LOGIN_PER_IP, duration });
  }

  consumeIp(ip: string): Promise<void> {
    return consume(this.perIp, ip);
  }

  /** Counted only after the key is verified, so nobody can spend another key's allowance. */
  consumeApiKey(apiKeyId: string): Promise<void> {
    return consume(this.perKey, apiKeyId);
  }

  consumeLogin(ip: string): Promise<void> {
    return consume(this.logins, ip);
  }
}

async function consume(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    throw error;
  }
}
