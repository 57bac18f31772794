/**
 * Lua helpers prepended to the scripts that move code ids. Redis's Lua 5.1 cannot `unpack` more
 * than ~8,000 values at once, so every bulk push goes in chunks of CHUNK.
 */
export const LUA_LIB = `
local CHUNK = 5000

local function split(s)
  local t, n = {}, 0
  if not s then return t end
  for id in string.gmatch(s, '[^,]+') do n = n + 1; t[n] = id end
  return t
end

-- LPUSH reverses its arguments: push from the end, each chunk reversed, so ids[1] ends up first.
local function pushHead(key, ids, from)
  local i = #ids
  from = from or 1
  while i >= from do
    local lo = math.max(from, i - CHUNK + 1)
    local chunk, c = {}, 0
    for j = i, lo, -1 do c = c + 1; chunk[c] = ids[j] end
    redis.call('LPUSH', key, unpack(chunk))
    i = lo - 1
  end
end

local function pushTail(key, ids, from)
  local n = #ids
  for i = from or 1, n, CHUNK do
    redis.call('RPUSH', key, unpack(ids, i, math.min(i + CHUNK - 1, n)))
  end
end
`;
