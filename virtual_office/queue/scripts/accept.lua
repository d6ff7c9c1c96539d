-- The called citizen comes in: the visit starts. Accepting twice is harmless.
-- KEYS: called, ticket, stats waits
-- ARGV: ticket id, now ms
local t = redis.call('HMGET', KEYS[2], 'state', 'deadline', 'queued_at', 'clerk')
if not t[1] then return {'unknown_ticket'} end
if t[1] == 'in_visit' then return {'ok', t[4]} end
if t[1] ~= 'called' then return {'not_called'} end
if tonumber(t[2]) < tonumber(ARGV[2]) then return {'expired'} end
redis.call('HSET', KEYS[2], 'state', 'in_visit', 'visit_started', ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[3], math.floor((tonumber(ARGV[2]) - tonumber(t[3])) / 1000))
redis.call('EXPIRE', KEYS[3], STATS_TTL)
return {'ok', t[4]}
