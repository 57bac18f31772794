import { LUA_LIB } from './lua-lib';

/**
 * KEYS: expiry, avail, lock, during, reservation key prefix (`o:{offer}:r:`, passed as a key so the
 * client's keyPrefix applies; every reservation key shares the offer's hash slot).
 * ARGV: cutoffMs, limit, endedRetentionMs. Reply: ids of the reservations expired now.
 * Entries whose reservation is no longer held are just dropped from the ZSET.
 */
export const EXPIRE_DUE_LUA = `${LUA_LIB}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #due == 0 then return {} end
local rebuilding = redis.call('EXISTS', KEYS[3]) == 1
local out, o = {}, 0
for _, rid in ipairs(due) do
  local key = KEYS[5] .. rid
  local v = redis.call('HMGET', key, 's', 'c')
  if v[1] == 'held' then
    local ids = split(v[2])
    if #ids > 0 then
      pushHead(KEYS[2], ids)
      if rebuilding then pushTail(KEYS[4], ids) end
    end
    redis.call('HSET', key, 's', 'expired')
    redis.call('HDEL', key, 'c')
    redis.call('PEXPIRE', key, ARGV[3])
    o = o + 1; out[o] = rid
  end
  redis.call('ZREM', KEYS[1], rid)
end
return out
`;
