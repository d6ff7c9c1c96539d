-- A day is over: checked-in bookings were served, confirmed ones are no-shows, held ones
-- expired; every booking's personal data is deleted, the day's occupancy goes.
-- KEYS: days, holds, reminders
-- ARGV: 1-4 prefixes, now ms, day
local day = ARGV[6]
local served, no_show, expired = 0, 0, 0
for _, id in ipairs(redis.call('ZRANGE', P_DAY .. day, 0, -1)) do
  local booking = P_BOOKING .. id
  local state = redis.call('HGET', booking, 'state')
  local after = nil
  if state == 'checked_in' then after = 'served' served = served + 1
  elseif state == 'confirmed' then after = 'no_show' no_show = no_show + 1
  elseif state == 'held' then after = 'expired' expired = expired + 1 end
  if after then redis.call('HSET', booking, 'state', after, 'closed_at', ARGV[5]) end
  if state then
    drop_reminders(KEYS[3], booking, id)
    forget_personal(booking)
  end
  redis.call('ZREM', KEYS[2], id)
end
if served > 0 then count(day, 'appointments_served', served) end
if no_show > 0 then count(day, 'appointments_no_show', no_show) end
if expired > 0 then count(day, 'appointments_expired', expired) end
redis.call('DEL', P_OCCUPANCY .. day, P_DAY .. day)
redis.call('ZREM', KEYS[1], day)
return {served, no_show, expired}
