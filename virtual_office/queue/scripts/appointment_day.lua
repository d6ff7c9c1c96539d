-- A day's bookings in order of their start, each as its fields (one round trip for the console).
-- KEYS: the day's bookings
-- ARGV: 1-4 prefixes
local rows = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', P_BOOKING .. id)
  if #fields > 0 then rows[#rows + 1] = fields end
end
return rows
