-- Move a transaction from one of the expected states to the next, atomically.
-- KEYS: transaction hash, due set, day's statistics hash, idempotency key, the visit's set
-- ARGV: id, expected states (comma-separated), new state, next due time (ms, '' to leave
--       the due set), keep seconds once final ('' while not final), statistics field to
--       count ('' for none), statistics field to add the amount to ('' for none), amount,
--       statistics keep seconds, then field/value pairs to set
-- Returns {1, previous state}, or {0, current state} if it was in none of the expected ones.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {0, ''} end
local expected = false
for s in string.gmatch(ARGV[2], '[^,]+') do
  if s == state then expected = true end
end
if not expected then return {0, state} end
local fields = {'state', ARGV[3]}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
if ARGV[5] ~= '' then
  local keep = tonumber(ARGV[5])
  redis.call('EXPIRE', KEYS[1], keep)
  if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('EXPIRE', KEYS[4], keep) end
  redis.call('EXPIRE', KEYS[5], keep)
end
if ARGV[6] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[6], 1) end
if ARGV[7] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[7], ARGV[8]) end
if ARGV[6] ~= '' or ARGV[7] ~= '' then redis.call('EXPIRE', KEYS[3], ARGV[9]) end
return {1, state}
