-- A called or visiting citizen goes back to the front of the waiting room.
-- KEYS: queue, called, serving, seen, ticket
-- ARGV: ticket id, now ms
local t = redis.call('HMGET', KEYS[5], 'state', 'clerk')
if not t[1] then return {'unknown_ticket'} end
if t[1] == 'waiting' then return {'ok', ''} end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local score = tonumber(ARGV[2])
if head[2] then score = math.min(score, tonumber(head[2]) - 1) end
redis.call('ZADD', KEYS[1], score, ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[3], t[2]) == ARGV[1] then redis.call('HDEL', KEYS[3], t[2]) end
redis.call('HSET', KEYS[5], 'state', 'waiting')
-- A new visit starts with nobody invited: colleagues of this one are not members of the next.
redis.call('HDEL', KEYS[5], 'clerk', 'called_at', 'deadline', 'visit_started', 'guests')
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
return {'ok', t[2]}
