import { LUA_LIB } from './lua-lib';

/**
 * KEYS: reservation, expiry, avail, lock, during. ARGV: reservationId, reason, endedRetentionMs.
 * Reply: {0} unknown | {1, 'id,id'} released now | {2} committed | {3, ''} released/expired already.
 * Codes go back to the head of the list even when the offer is not loaded; while a rebuild holds
 * the lock they are also recorded in `during` so the rebuild's finalize keeps them.
 */
export const RELEASE_LUA = `${LUA_LIB}
local v = redis.call('HMGET', KEYS[1], 's', 'c')
local s = v[1]
if not s then return {0} end
if s == 'committed' then return {2} end
if s ~= 'held' then return {3, v[2] or ''} end
local ids = split(v[2])
if #ids > 0 then
  pushHead(KEYS[3], ids)
  if redis.call('EXISTS', KEYS[4]) == 1 then pushTail(KEYS[5], ids) end
end
redis.call('HSET', KEYS[1], 's', ARGV[2])
redis.call('HDEL', KEYS[1], 'c')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return {1, v[2] or ''}
`;
