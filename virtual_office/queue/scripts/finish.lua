-- The clerk ends a visit: the ticket is deleted, only its length is kept; an appointment's
-- booking keeps no e-mail, name or phone from now on (its links still say it is over).
-- KEYS: serving, seen, ticket, durations, stats, stats lengths
-- ARGV: ticket id, now ms, the office's booking key prefix
local t = redis.call('HMGET', KEYS[3], 'state', 'visit_started', 'clerk', 'booking')
if not t[1] then return {'unknown_ticket'} end
if t[1] ~= 'in_visit' then return {'not_in_visit'} end
local secs = math.floor((tonumber(ARGV[2]) - tonumber(t[2])) / 1000)
redis.call('LPUSH', KEYS[4], secs)
redis.call('LTRIM', KEYS[4], 0, 49)
redis.call('HINCRBY', KEYS[5], 'visits', 1)
redis.call('EXPIRE', KEYS[5], STATS_TTL)
redis.call('RPUSH', KEYS[6], secs)
redis.call('EXPIRE', KEYS[6], STATS_TTL)
if redis.call('HGET', KEYS[1], t[3]) == ARGV[1] then redis.call('HDEL', KEYS[1], t[3]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
if t[4] and t[4] ~= '' then redis.call('HDEL', ARGV[3] .. t[4], 'email', 'name', 'phone', 'link') end
return {'ok', t[3]}
