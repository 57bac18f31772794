import Redis from 'ioredis';
import { testInfrastructure, testNames } from '@kami/testing';
import { RESERVATION_REDIS_OPTIONS, ReservationCore, type ReservationCoreOptions } from '../src';

/** A test file's own key prefix on the shared Redis, clients that use it, and cleanup. */
export interface RedisFixture {
  prefix: string;
  /** Client with keyPrefix = prefix (what the core is given). */
  redis: Redis;
  /** Client without prefix: sees the physical key names. */
  raw: Redis;
  core(options?: Omit<ReservationCoreOptions, 'redis'>, client?: Redis): ReservationCore;
  /** Another connection with the same prefix (another process, as far as Redis can tell). */
  connect(): Redis;
  /** Physical names of every key under the prefix. */
  keys(): Promise<string[]>;
  /** FLUSHALL, limited to this file's keys. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export async function redisFixture(label: string): Promise<RedisFixture> {
  const { redisUrl } = await testInfrastructure();
  const prefix = testNames(label).redisPrefix;
  const clients: Redis[] = [];
  const connect = (): Redis => {
    const client = new Redis(redisUrl, { ...RESERVATION_REDIS_OPTIONS, keyPrefix: prefix, maxRetriesPerRequest: 2 });
    clients.push(client);
    return client;
  };
  const redis = connect();
  const raw = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  const keys = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  };
  const flush = async (): Promise<void> => {
    // One DEL: atomic like FLUSHALL (a chunked delete let reserves see `ready` without its list).
    const found = await keys();
    if (found.length > 0) await raw.del(...found);
  };
  return {
    prefix,
    redis,
    raw,
    core: (options = {}, client = redis) => new ReservationCore({ redis: client, ...options }),
    connect,
    keys,
    flush,
    close: async () => {
      await flush();
      // A test may have cut a connection itself (a process that died): only the live ones are quit.
      await Promise.all([...clients, raw].filter((c) => c.status !== 'end').map((c) => c.quit()));
    },
  };
}

/** Decimal code ids from..from+n-1, as the vault's bigint ids arrive. */
export function codeIds(n: number, from = 1): string[] {
  return Array.from({ length: n }, (_, i) => String(from + i));
}

let counter = 0;
/** A fresh offer id per test, so tests in one file never share state. */
export function newOfferId(): string {
  counter += 1;
  return `offer-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
