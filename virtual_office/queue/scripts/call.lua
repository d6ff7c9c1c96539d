-- A clerk calls the next ticket, or a specific one. A clerk with an open call or
-- visit in this office gets that one back instead (a double click calls nobody new).
-- Returns the status, the ticket id and the ticket's fields.
-- KEYS: queue, called, serving
-- ARGV: clerk id, now ms, deadline ms, ticket key prefix, ticket id ('' = next)
local current = redis.call('HGET', KEYS[3], ARGV[1])
if current then return {'already', current, redis.call('HGETALL', ARGV[4] .. current)} end
local tid = ARGV[5]
if tid == '' then
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 then return {'queue_empty'} end
  tid = head[1]
elseif not redis.call('ZSCORE', KEYS[1], tid) then
  return {'not_waiting'}
end
redis.call('ZREM', KEYS[1], tid)
redis.call('HSET', ARGV[4] .. tid, 'state', 'called', 'clerk', ARGV[1],
  'called_at', ARGV[2], 'deadline', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], tid)
redis.call('HSET', KEYS[3], ARGV[1], tid)
return {'ok', tid, redis.call('HGETALL', ARGV[4] .. tid)}
