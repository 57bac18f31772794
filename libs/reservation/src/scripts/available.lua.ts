import { LUA_LIB } from './lua-lib';

/**
 * KEYS: ready, lock, avail, during. ARGV: ids. Reply: 1 appended | 2 queued for the running rebuild
 * | 0 not loaded (the next rebuild reads them from PostgreSQL).
 * During a rebuild the ids go to `during`: the snapshot may have been read before they were
 * committed to PostgreSQL, and finalize appends `during` to the rebuilt list.
 */
export const ADD_AVAILABLE_LUA = `${LUA_LIB}
if redis.call('EXISTS', KEYS[2]) == 1 then pushTail(KEYS[4], ARGV); return 2 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
pushTail(KEYS[3], ARGV)
return 1
`;

/**
 * KEYS: avail, scratch list. ARGV: ids to remove. Reply: entries removed.
 * A few ids: LREM each (O(list) per id). More: one filtering pass into the scratch list, then
 * RENAME over the list (O(list + ids)), which is far cheaper than many LREM scans.
 */
export const REMOVE_AVAILABLE_LUA = `${LUA_LIB}
local len = redis.call('LLEN', KEYS[1])
if len == 0 then return 0 end
if #ARGV <= 8 then
  local n = 0
  for i = 1, #ARGV do n = n + redis.call('LREM', KEYS[1], 0, ARGV[i]) end
  return n
end
local drop = {}
for i = 1, #ARGV do drop[ARGV[i]] = true end
redis.call('DEL', KEYS[2])
local keep, k, kept = {}, 0, 0
for from = 0, len - 1, CHUNK do
  local part = redis.call('LRANGE', KEYS[1], from, from + CHUNK - 1)
  for _, id in ipairs(part) do
    if not drop[id] then
      k = k + 1; keep[k] = id
      if k == CHUNK then redis.call('RPUSH', KEYS[2], unpack(keep)); kept = kept + k; keep = {}; k = 0 end
    end
  end
end
if k > 0 then redis.call('RPUSH', KEYS[2], unpack(keep)); kept = kept + k end
if kept == len then redis.call('DEL', KEYS[2]); return 0 end
if kept > 0 then redis.call('RENAME', KEYS[2], KEYS[1]) else redis.call('DEL', KEYS[1]) end
return len - kept
`;
