-- A called citizen did not come: the ticket ends. The sweep ends calls whose time
-- ran out; the clerk may withdraw a call earlier ('1': a citizen who is gone).
-- KEYS: called, serving, seen, ticket, stats
-- ARGV: ticket id, now ms, before the deadline ('1' or '')
local t = redis.call('HMGET', KEYS[4], 'state', 'deadline', 'clerk')
if not t[1] then return {'unknown_ticket'} end
if t[1] ~= 'called' then return {'not_called'} end
if ARGV[3] ~= '1' and tonumber(t[2]) > tonumber(ARGV[2]) then return {'too_early', t[2]} end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('HGET', KEYS[2], t[3]) == ARGV[1] then redis.call('HDEL', KEYS[2], t[3]) end
redis.call('DEL', KEYS[4])
redis.call('HINCRBY', KEYS[5], 'no_shows', 1)
redis.call('EXPIRE', KEYS[5], STATS_TTL)
return {'ok', t[3]}
