import type { Redis } from 'ioredis';

/**
 * Remembers the ids (jti) of the signed tokens a service has accepted until they expire, so that
 * each token is accepted once. A service with Redis remembers them there (every replica sees every
 * id); one without keeps them in its own memory.
 */
export abstract class ReplayGuard {
  /** True the first time `id` is seen before `expiresAtMs`; false for every later time. */
  abstract firstUse(id: string, expiresAtMs: number, now?: number): Promise<boolean>;
}

/** Ids in this process's memory: enough for one replica. Expired ids are swept as new ones come. */
export class MemoryReplayGuard extends ReplayGuard {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly maxEntries = 1_000_000) {
    super();
  }

  async firstUse(id: string, expiresAtMs: number, now = Date.now()): Promise<boolean> {
    if (now >= this.nextSweep || this.seen.size >= this.maxEntries) this.sweep(now);
    const known = this.seen.get(id);
    if (known !== undefined && known > now) return false;
    // Full of live ids: refuse rather than forget one that could then be replayed.
    if (this.seen.size >= this.maxEntries) return false;
    this.seen.set(id, Math.max(expiresAtMs, now + 1));
    return true;
  }

  private sweep(now: number): void {
    for (const [id, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(id);
    this.nextSweep = now + 1_000;
  }
}

/** Ids in Redis (SET NX with the token's remaining life): shared by every replica of the service. */
export class RedisReplayGuard extends ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    super();
  }

  async firstUse(id: string, expiresAtMs: number, now = Date.now()): Promise<boolean> {
    const ttlMs = Math.max(1, Math.ceil(expiresAtMs - now));
    return (await this.redis.set(`${this.keyPrefix}${id}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }
}
