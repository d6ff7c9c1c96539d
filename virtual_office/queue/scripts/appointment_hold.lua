-- Hold a place for a new booking until the citizen's opt-in (or return the booking the
-- same request made before: a double submit books once).
-- KEYS: booking, occupancy of the day, the day's bookings, holds, days, request, counter
-- ARGV: 1-4 prefixes, booking id, secret hash, now ms, start (epoch minute), steps, grid,
--       capacity, minutes, hold until ms, services (ids, comma-separated), concern, e-mail,
--       name, phone, language, request ttl s, keep until (epoch s), day, day end ms,
--       office id, reference prefix, start ms, occupancy kept until (epoch s)
local earlier = redis.call('GET', KEYS[6])
if earlier then
  local fields = redis.call('HGETALL', P_BOOKING .. earlier)
  if #fields > 0 then return {'again', fields} end
end
local start, steps, grid = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
if not fits(KEYS[2], start, steps, grid, tonumber(ARGV[11])) then return {'slot_full'} end
occupy(KEYS[2], start, steps, grid, 1)
redis.call('EXPIREAT', KEYS[2], ARGV[27])
local reference = string.format('%sT-%04d', ARGV[25], redis.call('INCR', KEYS[7]))
redis.call('HSET', KEYS[1], 'id', ARGV[5], 'office', ARGV[24], 'reference', reference,
  'secret', ARGV[6], 'state', 'held', 'created_at', ARGV[7], 'hold_until', ARGV[13],
  'start', ARGV[26], 'start_min', ARGV[8], 'minutes', ARGV[12], 'steps', ARGV[9], 'grid', ARGV[10],
  'day', ARGV[22], 'day_end', ARGV[23], 'services', ARGV[14], 'concern', ARGV[15],
  'email', ARGV[16], 'name', ARGV[17], 'phone', ARGV[18], 'language', ARGV[19])
redis.call('EXPIREAT', KEYS[1], ARGV[21])
redis.call('ZADD', KEYS[3], ARGV[26], ARGV[5])
redis.call('EXPIREAT', KEYS[3], ARGV[21])
redis.call('ZADD', KEYS[4], ARGV[13], ARGV[5])
redis.call('ZADD', KEYS[5], ARGV[23], ARGV[22])
redis.call('SET', KEYS[6], ARGV[5], 'EX', ARGV[20])
return {'ok', redis.call('HGETALL', KEYS[1])}
