import { randomUUID } from 'node:crypto';
import { codeIds, newOfferId, redisFixture, type RedisFixture } from './redis-fixture';

/** Redis Cluster's key → slot: CRC16 (XMODEM) of the hash tag when there is one, mod 16384. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key)) % 16384;
}

describe('ReservationCore key layout', () => {
  let fx: RedisFixture;

  beforeAll(async () => {
    fx = await redisFixture('rsv_keys');
  });
  afterAll(async () => fx.close());

  it('computes Redis Cluster slots like Redis does', () => {
    // Reference values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });

  it('puts every key an offer ever uses under its hash tag, in one slot, behind the client prefix', async () => {
    const core = fx.core();
    const offerId = newOfferId();
    const tag = `{${offerId}}`;
    const k = core.keysOf(offerId);
    const named = [k.available, k.ready, k.expiry, k.lock, k.during, k.scratch, k.reservation(randomUUID()), k.temp('t')];
    for (const key of named) {
      expect(key).toContain(tag);
      expect(keySlot(key)).toBe(keySlot(tag));
    }

    // Exercise every operation, then look at what physically exists.
    await core.rebuild(offerId, async () => ({ available: codeIds(100), held: [{ reservationId: randomUUID(), codeIds: ['1000'], expiresAtMs: 1 }] }));
    const a = randomUUID();
    const b = randomUUID();
    await core.reserve(offerId, a, 5, 60_000);
    await core.reserve(offerId, b, 5, 60_000);
    await core.commit(offerId, a);
    await core.release(offerId, b);
    await core.removeAvailable(offerId, codeIds(20, 50));
    await core.addAvailable(offerId, ['2000']);
    await core.expireDue(offerId, Date.now());
    const physical = await fx.keys();
    expect(physical.length).toBeGreaterThanOrEqual(5);
    for (const key of physical) {
      expect(key.startsWith(fx.prefix)).toBe(true);
      expect(key).toContain(tag);
      expect(keySlot(key)).toBe(keySlot(tag));
    }
    expect(physical).toEqual(expect.arrayContaining([fx.prefix + k.available, fx.prefix + k.ready, fx.prefix + k.reservation(a)]));
  });
});
