-- A TOTP code is accepted once: its time step must be later than the last one accepted.
-- KEYS: the account's second factor (hash)
-- ARGV: the code's time step
-- Returns 1 if accepted (and remembered), 0 if the step was used already or nothing is enrolled.
if redis.call('HEXISTS', KEYS[1], 'secret') == 0 then
  return 0
end
local last = tonumber(redis.call('HGET', KEYS[1], 'step') or '-1')
if tonumber(ARGV[1]) <= last then
  return 0
end
redis.call('HSET', KEYS[1], 'step', ARGV[1])
return 1
