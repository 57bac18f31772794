/**
 * KEYS: lock, ready, during. ARGV: token, lockMs, force ('1' or '0').
 * Reply: 1 already loaded (nothing done) | 2 lock taken, ready marker and stale `during` deleted
 * | 0 another rebuild holds the lock. One script, so no release slips between the lock and the DEL.
 */
export const REBUILD_ACQUIRE_LUA = `
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) then
  redis.call('DEL', KEYS[2], KEYS[3])
  return 2
end
return 0
`;

/** KEYS: lock. ARGV: token, lockMs. Extends the lock while this rebuild owns it. */
export const REBUILD_EXTEND_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return 0
`;

/** KEYS: lock, temp list. ARGV: token. Gives up a failed rebuild's lock (only if still ours). */
export const REBUILD_ABORT_LUA = `
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * KEYS: lock, expiry, reservation keys... ARGV: token, then per reservation: id, 'id,id', expiresAtMs, qty.
 * Restores held reservations from the snapshot, never over a key Redis already has (it may have
 * been committed or released after the snapshot was read). Reply: restored count, -1 lost lock.
 */
export const REBUILD_RESTORE_HELD_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = 0
for i = 3, #KEYS do
  local a = (i - 3) * 4 + 2
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 's', 'held', 'c', ARGV[a + 1], 'e', ARGV[a + 2], 'q', ARGV[a + 3])
    redis.call('ZADD', KEYS[2], ARGV[a + 2], ARGV[a])
    n = n + 1
  end
end
return n
`;

/**
 * KEYS: lock, temp list, avail, during, ready. ARGV: token.
 * Reply: 1 loaded | 0 the lock is no longer ours (flushed, expired or taken over): nothing changes.
 * The temp list replaces the live one (RENAME carries the temp TTL over: PERSIST), then the ids
 * released or added while the rebuild ran are appended (duplicates with the snapshot are harmless:
 * PostgreSQL's guarded update refuses a second taker).
 */
export const REBUILD_FINALIZE_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('DEL', KEYS[2]); return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[3])
  redis.call('PERSIST', KEYS[3])
else
  redis.call('DEL', KEYS[3])
end
local len = redis.call('LLEN', KEYS[4])
for i = 0, len - 1, 5000 do
  redis.call('RPUSH', KEYS[3], unpack(redis.call('LRANGE', KEYS[4], i, i + 4999)))
end
redis.call('DEL', KEYS[4], KEYS[1])
redis.call('SET', KEYS[5], ARGV[1])
return 1
`;
