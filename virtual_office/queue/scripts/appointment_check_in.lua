-- The citizen checks in: a confirmed booking becomes a waiting-room ticket, through the
-- same join as a walk-in (join.lua, placed before this as the function join(KEYS, ARGV)),
-- with appointment priority inside the check-in window. Checking in again gives the
-- ticket a new secret (the link was opened on another device) and keeps its place.
-- Returns the status, the place (0 when checking in again), tickets the join ended, the ticket's fields.
-- KEYS: booking, then join.lua's KEYS
-- ARGV: 1-4 prefixes, secret hash, now ms, early ms, late ms, late rule (walk_in | refuse),
--       ticket key prefix, number of join.lua's ARGV, then join.lua's ARGV
local b = redis.call('HMGET', KEYS[1], 'state', 'secret', 'start', 'day_end', 'ticket', 'name', 'concern', 'language', 'id')
local refused = refusal(b[1], b[2], ARGV[5])
if refused then return {refused} end
local jargv = {}
for i = 1, tonumber(ARGV[11]) do jargv[i] = ARGV[11 + i] end
if b[1] == 'held' then return {'invalid'} end
if b[1] == 'checked_in' then
  local ticket = ARGV[10] .. b[5]
  if redis.call('EXISTS', ticket) == 0 then return {'expired'} end
  redis.call('HSET', ticket, 'secret', jargv[2])
  return {'again', 0, {}, redis.call('HGETALL', ticket)}
end
local now, start, early = tonumber(ARGV[6]), tonumber(b[3]), tonumber(ARGV[7])
if now < start - early then return {'too_early', start - early} end
if now >= tonumber(b[4]) then return {'too_late'} end
local priority = 1
if now > start + tonumber(ARGV[8]) then
  if ARGV[9] == 'refuse' then return {'too_late'} end
  priority = 0
end
local jkeys = {}
for i = 2, #KEYS do jkeys[i - 1] = KEYS[i] end
-- join.lua's ARGV 6-8 are name, concern and language (the booking's), 12 the priority.
jargv[6], jargv[7], jargv[8], jargv[12] = b[6] or '', b[7] or '', b[8] or '', tostring(priority)
local joined = join(jkeys, jargv)
if joined[1] ~= 'ok' then return joined end
redis.call('HSET', jkeys[4], 'booking', b[9], 'appointment_at', b[3])
redis.call('HSET', KEYS[1], 'state', 'checked_in', 'ticket', jargv[1], 'number', joined[2], 'checked_in_at', ARGV[6])
return {'ok', joined[3], joined[5] or {}, redis.call('HGETALL', jkeys[4])}
