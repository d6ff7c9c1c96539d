-- Queue a message once per caller's key.
-- KEYS: idempotency key, message record, due, pending
-- ARGV: id, kind, message JSON, now (ms), caller's key, tenant
-- Returns {id, 1} when queued now, {id of the earlier one, 0} when the key was seen before.
local earlier = redis.call('GET', KEYS[1])
if earlier then
  return {earlier, 0}
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'kind', ARGV[2], 'message', ARGV[3], 'state', 'queued',
  'created', ARGV[4], 'attempts', 0, 'key', ARGV[5], 'tenant', ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
return {ARGV[1], 1}
