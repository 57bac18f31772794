/**
 * KEYS: avail, ready, reservation, expiry. ARGV: quantity, expiresAtMs, reservationId.
 * Reply: {0, ids} reserved | {1, expiresAtMs, 'id,id'} replay of a held one | {2} not loaded
 * | {3, state} ended | {4, available} insufficient.
 * The hot path: one HMGET, EXISTS, LLEN, LPOP n, HSET, ZADD. The reservation is looked up before
 * the ready marker so a held reservation replays even while the offer is being rebuilt.
 */
export const RESERVE_LUA = `
local r = redis.call('HMGET', KEYS[3], 's', 'c', 'e')
local s = r[1]
if s then
  if s == 'held' then return {1, r[3], r[2]} end
  return {3, s}
end
if redis.call('EXISTS', KEYS[2]) == 0 then return {2} end
local n = tonumber(ARGV[1])
local len = redis.call('LLEN', KEYS[1])
if len < n then return {4, len} end
local ids = redis.call('LPOP', KEYS[1], n)
redis.call('HSET', KEYS[3], 's', 'held', 'c', table.concat(ids, ','), 'e', ARGV[2], 'q', ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3])
return {0, ids}
`;
