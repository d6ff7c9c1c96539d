-- The citizen's opt-in: a held booking becomes confirmed (again: nothing changes).
-- The booking's reminders are planned, and its link token kept for them until it is over.
-- KEYS: booking, holds, reminders
-- ARGV: 1-4 prefixes, secret hash, now ms, reminder minutes (comma-separated), link token
local b = redis.call('HMGET', KEYS[1], 'state', 'secret', 'hold_until', 'start', 'day', 'id')
local refused = refusal(b[1], b[2], ARGV[5])
if refused then return {refused} end
if b[1] == 'held' then
  if tonumber(b[3]) < tonumber(ARGV[6]) then return {'expired'} end
  redis.call('HSET', KEYS[1], 'state', 'confirmed', 'confirmed_at', ARGV[6], 'link', ARGV[8])
  plan_reminders(KEYS[3], KEYS[1], b[6], tonumber(b[4]), tonumber(ARGV[6]), ARGV[7])
  redis.call('ZREM', KEYS[2], b[6])
  count(b[5], 'appointments_booked', 1)
  count(b[5], 'appointments_lead_minutes', math.floor((tonumber(b[4]) - tonumber(ARGV[6])) / 60000))
end
return {'ok', redis.call('HGETALL', KEYS[1])}
