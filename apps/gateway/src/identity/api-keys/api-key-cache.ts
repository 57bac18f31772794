import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis, SERVICE_CONFIG } from '@kami/platform';
import type { GatewayConfig } from '../../config/gateway.config';
import type { KeyedIdentity } from './api-key-scopes';

interface CachedKey {
  secretHash: string;
  identity: KeyedIdentity;
  expiresAt: number;
}

/** The most keys one gateway keeps verified in memory; past it the oldest is forgotten first. */
const MAX_CACHED_KEYS = 50_000;

/**
 * Verified API keys, kept in this gateway's memory for API_KEY_CACHE_SECONDS so that a storefront's
 * requests do not each cost a database read. What is kept is the key's secret hash beside its
 * identity: every request still proves its secret against it. A revocation is published on Redis
 * (`<prefix>api-key-revoked`) and every gateway replica forgets that key at once; a replica that
 * missed it (Redis unreachable, reconnecting) forgets everything when it reconnects, and a key it
 * still holds lapses after API_KEY_CACHE_SECONDS at the latest: that is the bound on how long a
 * revoked key can still be honoured anywhere.
 */
@Injectable()
export class ApiKeyCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyCache');
  /** By key prefix (the public part of a key); Map order is insertion order, so the first entry is the oldest. */
  private readonly keys = new Map<string, CachedKey>();
  private readonly ttlMs: number;
  private readonly channel: string;
  private subscriber?: Redis;
  /** Moves on at every forgetting: a key read from the database before one is not cached after it. */
  private generation = 0;

  constructor(
    @Inject(SERVICE_CONFIG) config: GatewayConfig,
    private readonly redis: Redis,
  ) {
    this.ttlMs = config.API_KEY_CACHE_SECONDS * 1000;
    this.channel = `${config.REDIS_KEY_PREFIX}api-key-revoked`;
  }

  async onModuleInit(): Promise<void> {
    if (this.ttlMs === 0) return;
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('message', (_channel: string, keyId: string) => this.forgetKey(keyId));
    // Revocations published while this replica was not listening are lost: forget everything instead.
    this.subscriber.on('ready', () => this.forgetAll());
    this.subscriber.on('error', (error: Error) => this.logger.warn({ err: error }, 'api key revocation channel: Redis error'));
    await this.subscriber.subscribe(this.channel);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscriber?.quit().catch(() => undefined);
  }

  /** The identity of a key verified less than API_KEY_CACHE_SECONDS ago, if `secretHash` is its secret's. */
  get(prefix: string, secretHash: (stored: string) => boolean, now = Date.now()): KeyedIdentity | undefined {
    const cached = this.keys.get(prefix);
    if (!cached) return undefined;
    if (cached.expiresAt <= now) {
      this.keys.delete(prefix);
      return undefined;
    }
    return secretHash(cached.secretHash) ? cached.identity : undefined;
  }

  /** Where the cache stands: give it to `put` for a key read from the database after this moment. */
  get readMark(): number {
    return this.generation;
  }

  /** Keeps a key read at `readMark`, unless a revocation (of any key) was heard since: it may be this one. */
  put(prefix: string, secretHash: string, identity: KeyedIdentity, readMark: number, now = Date.now()): void {
    if (this.ttlMs === 0 || readMark !== this.generation) return;
    this.keys.delete(prefix);
    if (this.keys.size >= MAX_CACHED_KEYS) this.keys.delete(this.keys.keys().next().value!);
    this.keys.set(prefix, { secretHash, identity, expiresAt: now + this.ttlMs });
  }

  /** After a revocation committed: this replica forgets the key now, every other one when the message reaches it. */
  async revoked(keyId: string): Promise<void> {
    this.forgetKey(keyId);
    if (this.ttlMs === 0) return;
    await this.redis.publish(this.channel, keyId).catch((error: unknown) => {
      this.logger.warn({ err: error, apiKeyId: keyId }, `could not announce a revocation: other gateways honour the key for up to ${this.ttlMs / 1000} s`);
    });
  }

  private forgetAll(): void {
    this.generation += 1;
    this.keys.clear();
  }

  private forgetKey(keyId: string): void {
    this.generation += 1;
    for (const [prefix, cached] of this.keys) if (cached.identity.principalId === keyId) this.keys.delete(prefix);
  }
}
