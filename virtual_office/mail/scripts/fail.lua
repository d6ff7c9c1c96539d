-- Given up (the retry period is over, or the server refused the message for good): the
-- content and recipients go; id, kind, times and the last error stay for the administration.
-- KEYS: message record, due, pending, retrying, failed
-- ARGV: id, lease token, now (ms), keep (s), reason, idempotency key prefix
-- Returns 1, or 0 when the lease is no longer ours.
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then
  return 0
end
local key = redis.call('HGET', KEYS[1], 'key')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[1], 'message', 'lease')
redis.call('HSET', KEYS[1], 'state', 'failed', 'failed', ARGV[3], 'last_error', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[4]) * 1000)
if key then
  redis.call('EXPIRE', ARGV[6] .. key, ARGV[4])
end
return 1
