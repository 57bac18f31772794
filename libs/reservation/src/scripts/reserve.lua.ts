/**
 * Reserves for a group of reservations of one offer in one call (the core gathers the reserves
 * that arrive in the same tick; a single reserve is a group of one). Each reservation is still
 * all or none and idempotent on its id; the group only shares the script call and the checks.
 * KEYS: avail, ready, expiry, then one reservation key per reservation.
 * ARGV: per reservation: quantity, expiresAtMs, reservationId.
 * Reply: per reservation three values (never nil: a nil would cut the reply short):
 *   0, expiresAtMs, 'id,id'  reserved     1, expiresAtMs, 'id,id'  replay of a held one
 *   2, 0, ''                 not loaded   3, state, ''             ended
 *   4, available, ''         insufficient
 * The reservation is looked up before the ready marker so a held one replays even while the
 * offer is being rebuilt.
 */
export const RESERVE_LUA = `
local out, o = {}, 0
local ready, len = nil, nil
for i = 1, #KEYS - 3 do
  local a = (i - 1) * 3
  local key = KEYS[3 + i]
  local r = redis.call('HMGET', key, 's', 'c', 'e')
  local s = r[1]
  if s then
    if s == 'held' then
      out[o + 1], out[o + 2], out[o + 3] = 1, r[3], r[2]
    else
      out[o + 1], out[o + 2], out[o + 3] = 3, s, ''
    end
  else
    if ready == nil then ready = redis.call('EXISTS', KEYS[2]) == 1 end
    if not ready then
      out[o + 1], out[o + 2], out[o + 3] = 2, 0, ''
    else
      if len == nil then len = redis.call('LLEN', KEYS[1]) end
      local n = tonumber(ARGV[a + 1])
      if len < n then
        out[o + 1], out[o + 2], out[o + 3] = 4, len, ''
      else
        local codes = table.concat(redis.call('LPOP', KEYS[1], n), ',')
        len = len - n
        redis.call('HSET', key, 's', 'held', 'c', codes, 'e', ARGV[a + 2], 'q', ARGV[a + 1])
        redis.call('ZADD', KEYS[3], ARGV[a + 2], ARGV[a + 3])
        out[o + 1], out[o + 2], out[o + 3] = 0, ARGV[a + 2], codes
      end
    end
  end
  o = o + 3
end
return out
`;
