-- Move a ticket to another office, keeping its original join time as its place.
-- Touches two offices' keys: on Redis Cluster both offices must hash to one slot.
-- KEYS: src queue, src called, src serving, src seen, src ticket, src stats,
--       dst queue, dst seen, dst counter, dst ticket
-- ARGV: ticket id, now ms, dst number prefix, dst office id, counter ttl s, dst max queue
local f = redis.call('HMGET', KEYS[5], 'state', 'clerk', 'secret', 'joined_at', 'name',
  'concern', 'language', 'offline_since', 'priority')
local priority = tonumber(f[9]) or 0
if not f[1] then return {'unknown_ticket'} end
if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[6]) then return {'full'} end
local n = redis.call('INCR', KEYS[9])
if n == 1 then redis.call('EXPIRE', KEYS[9], ARGV[5]) end
local number = string.format('%s-%03d', ARGV[3], n)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if f[2] and redis.call('HGET', KEYS[3], f[2]) == ARGV[1] then redis.call('HDEL', KEYS[3], f[2]) end
redis.call('DEL', KEYS[5])
redis.call('HINCRBY', KEYS[6], 'transferred', 1)
redis.call('EXPIRE', KEYS[6], STATS_TTL)
redis.call('HSET', KEYS[10], 'id', ARGV[1], 'office', ARGV[4], 'number', number,
  'secret', f[3], 'state', 'waiting', 'joined_at', f[4], 'queued_at', ARGV[2],
  'name', f[5] or '', 'concern', f[6] or '', 'language', f[7] or '',
  'offline_since', f[8] or '', 'priority', priority)
redis.call('ZADD', KEYS[7], tonumber(f[4]) - PRIORITY_STEP * priority, ARGV[1])
redis.call('ZADD', KEYS[8], ARGV[2], ARGV[1])
return {'ok', number, redis.call('ZRANK', KEYS[7], ARGV[1]) + 1}
