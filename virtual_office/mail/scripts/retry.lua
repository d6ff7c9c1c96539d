-- An attempt failed: try again at the given time.
-- KEYS: message record, due, retrying
-- ARGV: id, lease token, next try (ms), reason
-- Returns 1, or 0 when the lease is no longer ours.
if redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[1], 'lease')
redis.call('HSET', KEYS[1], 'state', 'retrying', 'last_error', ARGV[4], 'due', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
