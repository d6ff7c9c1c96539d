-- The mail server accepted the message: forget its content and recipients at once and
-- keep the id, kind and times for the administration.
-- KEYS: message record, due, pending, retrying, sent
-- ARGV: id, lease token, now (ms), keep (s), idempotency key prefix
-- Returns 1, or 0 when the lease is no longer ours (another process took the message over).
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then
  return 0
end
local key = redis.call('HGET', KEYS[1], 'key')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[1], 'message', 'lease', 'last_error')
redis.call('HSET', KEYS[1], 'state', 'sent', 'sent', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[4]) * 1000)
if key then
  redis.call('EXPIRE', ARGV[5] .. key, ARGV[4])
end
return 1
