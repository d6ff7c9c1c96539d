-- Join the waiting room: a new ticket at the back of the queue.
-- KEYS: queue, seen, counter, ticket, clerk presence heartbeats
-- ARGV: ticket id, secret hash, now ms, max queue, number prefix, name, concern,
--       language, counter ttl s, office id,
--       heartbeat cutoff ms ('' when no clerk need be on duty, e.g. before opening),
--       priority (0 walk-in, 1 appointment)
-- The queue's score is the join time less priority x 10^13 ms (300 years): a higher
-- priority comes first, each priority in order of joining.
if ARGV[11] ~= '' and redis.call('ZCOUNT', KEYS[5], ARGV[11], '+inf') == 0 then
  return {'no_clerk'}
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return {'full'} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {'exists'} end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], ARGV[9]) end
local number = string.format('%s-%03d', ARGV[5], n)
-- Strictly after the last one of the same priority, so two joins in the same
-- millisecond keep their order.
local step = PRIORITY_STEP * tonumber(ARGV[12])
local at = tonumber(ARGV[3])
local last = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. (PRIORITY_STEP - step), -step, 'WITHSCORES', 'LIMIT', 0, 1)
if last[2] and tonumber(last[2]) + step >= at then at = tonumber(last[2]) + step + 1 end
redis.call('HSET', KEYS[4], 'id', ARGV[1], 'office', ARGV[10], 'number', number,
  'secret', ARGV[2], 'state', 'waiting', 'joined_at', at, 'queued_at', ARGV[3],
  'name', ARGV[6], 'concern', ARGV[7], 'language', ARGV[8], 'offline_since', ARGV[3],
  'priority', ARGV[12])
redis.call('ZADD', KEYS[1], at - step, ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return {'ok', number, redis.call('ZRANK', KEYS[1], ARGV[1]) + 1, at}
