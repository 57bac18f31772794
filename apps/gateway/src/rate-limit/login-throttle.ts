import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { Redis, SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../config/gateway.config';
import { rateLimited } from './rate-limits';

/** The account a login names: its user when there is one, else the email as typed, normalised. */
export function loginAccountKey(email: string, userId: string | undefined): string {
  return userId ? `user:${userId}` : `email:${email.normalize('NFKC').trim().toLowerCase()}`;
}

/** The wait after the attempt that brings an account's failures to `attempts` (≥ the free ones). */
export function loginDelaySeconds(attempts: number, config: Pick<GatewayConfig, 'RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT' | 'RATE_LIMIT_LOGIN_DELAY_SECONDS' | 'RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS'>): number {
  const doublings = Math.min(attempts - config.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT, 30);
  return Math.min(config.RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS, config.RATE_LIMIT_LOGIN_DELAY_SECONDS * 2 ** Math.max(0, doublings));
}

/**
 * Per-account login limits with growing delays, kept in Redis (shared by every gateway instance),
 * so that guessing one account's password from many addresses is slow while other accounts, and
 * the addresses a proxy shares, are not held up.
 *
 * Every attempt counts as a failure up front (one atomic increment, so simultaneous guesses each
 * get their own number) and a success forgets them all. The first
 * RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT - 1 attempts of a window go straight on; from then on an
 * attempt must open the account's gate, which stays shut for RATE_LIMIT_LOGIN_DELAY_SECONDS
 * doubling with each attempt (up to RATE_LIMIT_LOGIN_MAX_DELAY_SECONDS). An attempt that finds the
 * gate shut is answered 429 `rate_limited` with Retry-After, is not counted, and never reaches the
 * password check.
 */
@Injectable()
export class LoginThrottle {
  private readonly attempts: RateLimiterRedis;
  private readonly gate: RateLimiterRedis;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: GatewayConfig, redis: Redis) {
    const prefix = `${config.REDIS_KEY_PREFIX}rl`;
    this.attempts = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:login-account`,
      // Counts only (penalty/reward); the gate below refuses.
      points: Number.MAX_SAFE_INTEGER,
      duration: config.RATE_LIMIT_LOGIN_ACCOUNT_WINDOW_SECONDS,
    });
    this.gate = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:login-gate`, points: 1, duration: config.RATE_LIMIT_LOGIN_DELAY_SECONDS });
  }

  /** Lets a login attempt for `account` go on to the password check, or throws 429 `rate_limited`. */
  async attempt(account: string): Promise<void> {
    const attempts = (await this.attempts.penalty(account, 1)).consumedPoints;
    if (attempts < this.config.RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT) return;
    try {
      await this.gate.consume(account, 1, { customDuration: loginDelaySeconds(attempts, this.config) });
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      await this.attempts.reward(account, 1);
      throw rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    }
  }

  /** The password was right: the account's failures and wait are forgotten. */
  async succeeded(account: string): Promise<void> {
    await Promise.all([this.attempts.delete(account), this.gate.delete(account)]);
  }
}
