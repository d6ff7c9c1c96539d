-- Move a held or confirmed booking to another start: its places are given back and the
-- new ones taken in one step; a full new time changes nothing.
-- A confirmed booking's reminders are planned again for the new start.
-- KEYS: booking, holds, occupancy of the new day, the new day's bookings, days, reminders
-- ARGV: 1-4 prefixes, secret hash ('' = the office), now ms, new start (epoch minute), steps,
--       grid, capacity, new day, new start ms, new day end ms, keep until (epoch s),
--       occupancy kept until (epoch s), reminder minutes (comma-separated)
local b = redis.call('HMGET', KEYS[1], 'state', 'secret', 'day', 'id', 'hold_until', 'start_min', 'steps', 'grid')
local refused = refusal(b[1], b[2], ARGV[5])
if refused then return {refused} end
if b[1] == 'checked_in' then return {'invalid'} end
if b[1] == 'held' and tonumber(b[5]) < tonumber(ARGV[6]) then return {'expired'} end
local start, steps, grid = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
release(KEYS[1])
if not fits(KEYS[3], start, steps, grid, tonumber(ARGV[10])) then
  occupy(P_OCCUPANCY .. b[3], tonumber(b[6]), tonumber(b[7]), tonumber(b[8]), 1)
  return {'slot_full'}
end
occupy(KEYS[3], start, steps, grid, 1)
redis.call('EXPIREAT', KEYS[3], ARGV[15])
redis.call('ZREM', P_DAY .. b[3], b[4])
redis.call('ZADD', KEYS[4], ARGV[12], b[4])
redis.call('EXPIREAT', KEYS[4], ARGV[14])
redis.call('ZADD', KEYS[5], ARGV[13], ARGV[11])
redis.call('HSET', KEYS[1], 'start', ARGV[12], 'start_min', ARGV[7], 'steps', ARGV[8], 'grid', ARGV[9],
  'day', ARGV[11], 'day_end', ARGV[13], 'moved_at', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'sequence', 1)
redis.call('EXPIREAT', KEYS[1], ARGV[14])
if b[1] == 'confirmed' then plan_reminders(KEYS[6], KEYS[1], b[4], tonumber(ARGV[12]), tonumber(ARGV[6]), ARGV[16]) end
return {'ok', redis.call('HGETALL', KEYS[1])}
