import { LUA_LIB } from './lua-lib';

/**
 * KEYS: reservation, expiry, avail, lock, during. ARGV: reservationId, restore ids...
 * Forgets the reservation whatever its state; only `restore` goes back (to the head), the other
 * ids it held are dropped: PostgreSQL said they are not available.
 */
export const REPAIR_LUA = `${LUA_LIB}
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if #ARGV > 1 then
  pushHead(KEYS[3], ARGV, 2)
  if redis.call('EXISTS', KEYS[4]) == 1 then pushTail(KEYS[5], ARGV, 2) end
end
return 1
`;
