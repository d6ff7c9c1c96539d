-- Shared by the appointment scripts (queue/appointments.py), placed before each.
-- ARGV[1..4] are the office's key prefixes (keys.py), to which a script appends a booking
-- id or a day: booking, occupancy, the day's bookings, the day's statistics. A booking
-- takes one place in each of its 'steps' grid steps of 'grid' minutes from 'start_min'
-- (minutes since the epoch); the occupancy hash counts the places taken per step.
local P_BOOKING, P_OCCUPANCY, P_DAY, P_STATS = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local function fits(occupancy, start, steps, grid, capacity)
  for i = 0, steps - 1 do
    if tonumber(redis.call('HGET', occupancy, start + i * grid) or '0') >= capacity then return false end
  end
  return true
end

-- Take (by = 1) or give back (by = -1) one place in each step; an empty step is removed.
local function occupy(occupancy, start, steps, grid, by)
  for i = 0, steps - 1 do
    local step = start + i * grid
    if redis.call('HINCRBY', occupancy, step, by) <= 0 then redis.call('HDEL', occupancy, step) end
  end
end

-- Give back the places a booking (its key) holds.
local function release(booking)
  local f = redis.call('HMGET', booking, 'start_min', 'steps', 'grid', 'day')
  occupy(P_OCCUPANCY .. f[4], tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), -1)
end

local function count(day, field, by)
  redis.call('HINCRBY', P_STATS .. day, field, by)
  redis.call('EXPIRE', P_STATS .. day, STATS_TTL)
end

-- E-mail, name and phone (and the link token reminders carry) go when the appointment is
-- over; the rest stays for its links.
local function forget_personal(booking)
  redis.call('HDEL', booking, 'email', 'name', 'phone', 'link')
end

-- Reminders of a confirmed booking: one entry '<id>:<minutes>' in the office's reminders
-- (keys.appointment_reminders) per reminder still ahead, scored by when it is due; the
-- minutes planned are kept on the booking so that moving or cancelling removes them.
local function drop_reminders(reminders, booking, id)
  local planned = redis.call('HGET', booking, 'reminders')
  if planned then
    for m in string.gmatch(planned, '%d+') do redis.call('ZREM', reminders, id .. ':' .. m) end
    redis.call('HDEL', booking, 'reminders')
  end
end

local function plan_reminders(reminders, booking, id, start, now, minutes)
  drop_reminders(reminders, booking, id)
  local planned = {}
  for m in string.gmatch(minutes, '%d+') do
    local due = start - tonumber(m) * 60000
    if due > now then
      redis.call('ZADD', reminders, due, id .. ':' .. m)
      planned[#planned + 1] = m
    end
  end
  if #planned > 0 then redis.call('HSET', booking, 'reminders', table.concat(planned, ',')) end
end

-- Why a citizen (secret hash given) or the office (secret '') may not act on a booking, or nil.
local function refusal(state, stored_secret, given_secret)
  if not state then return 'not_found' end
  if given_secret ~= '' and stored_secret ~= given_secret then return 'not_found' end
  if state == 'cancelled' then return 'cancelled' end
  if state == 'expired' or state == 'served' or state == 'no_show' then return 'expired' end
  return nil
end
