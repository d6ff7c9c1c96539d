-- The live numbers of one office for /metrics (server/metrics.py), read at once: counts and
-- bounded lists only, nothing per ticket. Changes nothing.
-- KEYS: queue, called, serving, presence, presence seen, durations, payments due
-- ARGV: cutoff ms (an older heartbeat no longer counts)
return {
  redis.call('ZCARD', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('HKEYS', KEYS[3]),
  redis.call('HGETALL', KEYS[4]),
  redis.call('ZRANGEBYSCORE', KEYS[5], ARGV[1], '+inf'),
  redis.call('LRANGE', KEYS[6], 0, -1),
  redis.call('ZCARD', KEYS[7]),
}
