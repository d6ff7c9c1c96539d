-- Start a transaction for a visit's fee set, or find the one already started for it.
-- KEYS: idempotency key, the new transaction's hash, due set, the visit's set
-- ARGV: new id, transaction key prefix, first due time (ms), then field/value pairs
-- Returns {id, 1} for a new transaction, {id, 0} for the one the key already names
-- (unless that one ended failed, cancelled or abandoned: then a new one is a retry).
local existing = redis.call('GET', KEYS[1])
if existing then
  local state = redis.call('HGET', ARGV[2] .. existing, 'state')
  if state and state ~= 'failed' and state ~= 'cancelled' and state ~= 'abandoned' then
    return {existing, 0}
  end
end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return {ARGV[1], 1}
