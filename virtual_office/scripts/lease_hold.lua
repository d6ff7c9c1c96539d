-- Take the lease if nobody holds it, or extend it if this holder does (compare-and-extend).
-- One key, so valid on Redis Cluster whatever its name.
-- KEYS: the lease
-- ARGV: holder id, time to live ms
-- Returns 1 while held by this holder, 0 while another holds it.
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
