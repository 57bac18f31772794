/**
 * KEYS: reservation, expiry. ARGV: reservationId, endedRetentionMs.
 * Reply: {0} unknown | {1} committed now | {2} committed already | {3, state} released/expired.
 * A committed reservation keeps its code list until the marker expires (operators can still see it).
 */
export const COMMIT_LUA = `
local s = redis.call('HGET', KEYS[1], 's')
if not s then return {0} end
if s == 'held' then
  redis.call('HSET', KEYS[1], 's', 'committed')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {1}
end
if s == 'committed' then return {2} end
return {3, s}
`;
