-- Reminders that are due, each with its booking's fields. An entry whose booking is no longer
-- confirmed (checked in, or gone) is dropped here; sending a due one, and removing it once
-- it is queued, is the caller's (queue/appointments.py, Appointments.due_reminders).
-- KEYS: reminders
-- ARGV: 1-4 prefixes, now ms, most at once
local due = {}
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[5], 'LIMIT', 0, tonumber(ARGV[6]))) do
  local booking = P_BOOKING .. string.match(entry, '^[^:]+')
  if redis.call('HGET', booking, 'state') == 'confirmed' then
    due[#due + 1] = {entry, redis.call('HGETALL', booking)}
  else
    redis.call('ZREM', KEYS[1], entry)
  end
end
return due
