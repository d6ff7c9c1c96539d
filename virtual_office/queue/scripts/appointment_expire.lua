-- Holds that ran out without an opt-in: their places are given back, their personal data deleted.
-- KEYS: holds
-- ARGV: 1-4 prefixes, now ms, most to expire at once
local expired = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[5], 'LIMIT', 0, tonumber(ARGV[6]))) do
  local booking = P_BOOKING .. id
  local b = redis.call('HMGET', booking, 'state', 'day', 'hold_until')
  if b[1] == 'held' and tonumber(b[3]) <= tonumber(ARGV[5]) then
    release(booking)
    redis.call('ZREM', P_DAY .. b[2], id)
    forget_personal(booking)
    redis.call('HSET', booking, 'state', 'expired', 'expired_at', ARGV[5])
    count(b[2], 'appointments_expired', 1)
    expired[#expired + 1] = id
  end
  redis.call('ZREM', KEYS[1], id)
end
return expired
