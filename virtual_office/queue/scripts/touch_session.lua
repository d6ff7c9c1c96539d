-- Activity in a login session: its idle time starts again, never past its absolute end.
-- KEYS: the session's hash
-- ARGV: now (ms), idle time (ms)
-- Returns 1 if the session is alive (and was touched), 0 if it has ended.
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends') or '0')
if ends == 0 then
  return 0
end
local now = tonumber(ARGV[1])
if now >= ends then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('HSET', KEYS[1], 'seen', ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[2]), ends - now))
return 1
