import Redis from 'ioredis';

/** An ioredis client with a key prefix, so tests and services never collide on keys. */
export function createRedis(url: string, keyPrefix = ''): Redis {
  return new Redis(url, {
    keyPrefix,
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 3000,
  });
}

export { Redis };
