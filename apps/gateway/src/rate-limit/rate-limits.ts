import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
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
export class RateLimits implements OnApplicationShutdown {
  private readonly perIp: RateLimiterRedis;
  private readonly perKey: RateLimiterRedis;
  private readonly logins: RateLimiterRedis;
  /** Its own connection, auto-pipelined: counters consumed in the same tick share one round trip. */
  private readonly redis: Redis;

  constructor(@Inject(SERVICE_CONFIG) config: GatewayConfig, shared: Redis) {
    const redis = (this.redis = shared.duplicate({ enableAutoPipelining: true }));
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

  /** The client IP's and a verified key's counters in one Redis round trip (a storefront's request whose key is known). */
  async consumeIpAndApiKey(ip: string, apiKeyId: string): Promise<void> {
    const [byIp, byKey] = await Promise.allSettled([consume(this.perIp, ip), consume(this.perKey, apiKeyId)]);
    if (byIp.status === 'rejected') throw byIp.reason;
    if (byKey.status === 'rejected') throw byKey.reason;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
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
