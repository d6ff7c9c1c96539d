-- Take up to N due messages for one delivery round: each is leased (its next try pushed
-- past the lease) so no other process takes it meanwhile, and its attempt is counted.
-- KEYS: due
-- ARGV: now (ms), lease (ms), lease token, N, message key prefix
-- Returns a flat list: id, message JSON, attempts, created, ...
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, id in ipairs(ids) do
  local record = ARGV[5] .. id
  local body = redis.call('HGET', record, 'message')
  if body then
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), id)
    local attempts = redis.call('HINCRBY', record, 'attempts', 1)
    redis.call('HSET', record, 'lease', ARGV[3], 'tried', ARGV[1])
    table.insert(out, id)
    table.insert(out, body)
    table.insert(out, attempts)
    table.insert(out, redis.call('HGET', record, 'created'))
  else
    redis.call('ZREM', KEYS[1], id)  -- a record gone (expired by hand): nothing to send
  end
end
return out
