import type { EntityManager } from 'typeorm';
import type { VaultCrypto } from '../crypto/vault-crypto';
import { DATA_KEY_CACHE_SIZE, DATA_KEY_CACHE_TTL_MS, DataKeyCache } from './data-key-cache';

/** A batch_key table in memory and a crypto that counts unwraps (the key is the batch id, padded). */
function setup(batchIds: string[]) {
  const queries: string[][] = [];
  const manager = {
    query: async (_sql: string, [ids]: [string[]]) => {
      queries.push(ids);
      return ids.filter((id) => batchIds.includes(id)).map((id) => ({ batch_id: id, master_key_id: 'm1', wrapped_key: Buffer.from(`wrapped:${id}`) }));
    },
  } as unknown as EntityManager;
  const unwrap = jest.fn((batchId: string, _masterKeyId: string, wrapped: Buffer) => Buffer.from(`${batchId}|${wrapped.toString()}`));
  const cache = new DataKeyCache({ unwrapDataKey: unwrap } as unknown as VaultCrypto);
  return { cache, manager, unwrap, queries };
}

describe('DataKeyCache', () => {
  it('unwraps each batch key once, in one query, and serves it from memory after', async () => {
    const { cache, manager, unwrap, queries } = setup(['b1', 'b2']);
    const first = await cache.keysFor(manager, ['b1', 'b2', 'b1'], 0);
    expect(first.get('b1')!.toString()).toBe('b1|wrapped:b1');
    expect(first.get('b2')!.toString()).toBe('b2|wrapped:b2');
    expect(queries).toEqual([['b1', 'b2']]);
    await cache.keysFor(manager, ['b2', 'b1'], 1000);
    expect(queries).toHaveLength(1);
    expect(unwrap).toHaveBeenCalledTimes(2);
  });

  it('forgets keys after their time', async () => {
    const { cache, manager, unwrap } = setup(['b1']);
    await cache.keysFor(manager, ['b1'], 0);
    await cache.keysFor(manager, ['b1'], DATA_KEY_CACHE_TTL_MS + 1);
    expect(unwrap).toHaveBeenCalledTimes(2);
  });

  it('holds a bounded number of keys, dropping the least recently used', async () => {
    const ids = Array.from({ length: DATA_KEY_CACHE_SIZE + 1 }, (_, i) => `b${i}`);
    const { cache, manager, queries } = setup(ids);
    await cache.keysFor(manager, ids.slice(0, DATA_KEY_CACHE_SIZE), 0);
    await cache.keysFor(manager, ['b0'], 1); // b0 is used again: b1 is now the oldest
    await cache.keysFor(manager, [ids[DATA_KEY_CACHE_SIZE]!], 2);
    expect(cache.size).toBe(DATA_KEY_CACHE_SIZE);
    queries.length = 0;
    await cache.keysFor(manager, ['b0'], 3);
    expect(queries).toEqual([]);
    await cache.keysFor(manager, ['b1'], 4);
    expect(queries).toEqual([['b1']]);
  });

  it('fails loudly when a batch has no key', async () => {
    const { cache, manager } = setup(['b1']);
    await expect(cache.keysFor(manager, ['b1', 'gone'], 0)).rejects.toThrow(/no data key for batch\(es\) gone/);
  });
});
