-- Join the waiting room: a new ticket, unconfirmed until its citizen's page connects.
-- KEYS: queue, seen, counter, ticket, clerk presence heartbeats, unconfirmed, stats
-- ARGV: ticket id, secret hash, now ms, max queue, number prefix, name, concern,
--       language, counter ttl s, office id,
--       heartbeat cutoff ms ('' when no clerk need be on duty, e.g. before opening),
--       priority (0 walk-in, 1 appointment), most unconfirmed tickets kept, ticket key prefix
-- The ticket enters the queue when its page first connects (heartbeat.lua), behind
-- everyone already there; until then it is only in 'unconfirmed' and counts nowhere, so
-- joins that never connect cannot fill the office or push anyone back.
-- Past the most kept, the oldest unconfirmed tickets end (returned, for their index keys).
-- The same join once more (its reply was lost to a dropped connection or a failover, and
-- the client sent it again): the same answer, and still one ticket.
if redis.call('HGET', KEYS[4], 'secret') == ARGV[2] then
  local t = redis.call('HMGET', KEYS[4], 'number', 'joined_at', 'priority')
  local again = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. (PRIORITY_STEP - PRIORITY_STEP * tonumber(t[3])))
  return {'ok', t[1], again + 1, tonumber(t[2]), {}}
end
if ARGV[11] ~= '' and redis.call('ZCOUNT', KEYS[5], ARGV[11], '+inf') == 0 then
  return {'no_clerk'}
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {'full'} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {'exists'} end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], ARGV[9]) end
local number = string.format('%s-%03d', ARGV[5], n)
local step = PRIORITY_STEP * tonumber(ARGV[12])
-- Strictly after the newest unconfirmed one, so the oldest are evicted first even within a millisecond.
local at = tonumber(ARGV[3])
local newest = redis.call('ZREVRANGE', KEYS[6], 0, 0, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) >= at then at = tonumber(newest[2]) + 1 end
redis.call('HSET', KEYS[4], 'id', ARGV[1], 'office', ARGV[10], 'number', number,
  'secret', ARGV[2], 'state', 'waiting', 'joined_at', at, 'queued_at', ARGV[3],
  'name', ARGV[6], 'concern', ARGV[7], 'language', ARGV[8], 'offline_since', ARGV[3],
  'priority', ARGV[12])
redis.call('ZADD', KEYS[6], at, ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local evicted = {}
local over = redis.call('ZCARD', KEYS[6]) - tonumber(ARGV[13])
if over > 0 then
  evicted = redis.call('ZRANGE', KEYS[6], 0, over - 1)
  for _, id in ipairs(evicted) do
    redis.call('ZREM', KEYS[6], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('DEL', ARGV[14] .. id)
  end
  redis.call('HINCRBY', KEYS[7], 'unconfirmed', #evicted)
  redis.call('EXPIRE', KEYS[7], STATS_TTL)
end
-- The place it takes when its page connects now: behind everyone of its priority or higher.
local ahead = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. (PRIORITY_STEP - step))
return {'ok', number, ahead + 1, at, evicted}
