-- A clerk calls the next ticket, or a specific one. A clerk with an open call or
-- visit in this office gets that one back instead (a double click calls nobody new).
-- "Next" is the first in line whose browser is connected (marked online, and a sign of
-- life since ARGV[6]: a server that crashed could not mark its pages gone): a citizen
-- whose connection dropped keeps the place (for the grace period) and is called once
-- back. Only when nobody waiting is connected is the first in line called all the same.
-- Returns the status, the ticket id and the ticket's fields.
-- KEYS: queue, called, serving, seen
-- ARGV: clerk id, now ms, deadline ms, ticket key prefix, ticket id ('' = next), alive since ms
local current = redis.call('HGET', KEYS[3], ARGV[1])
if current then return {'already', current, redis.call('HGETALL', ARGV[4] .. current)} end
local tid = ARGV[5]
if tid == '' then
  local line = redis.call('ZRANGE', KEYS[1], 0, -1)
  if #line == 0 then return {'queue_empty'} end
  for _, id in ipairs(line) do
    local offline = redis.call('HGET', ARGV[4] .. id, 'offline_since')
    local seen = redis.call('ZSCORE', KEYS[4], id)
    if (not offline or offline == '') and seen and tonumber(seen) >= tonumber(ARGV[6]) then tid = id break end
  end
  if tid == '' then tid = line[1] end
elseif not redis.call('ZSCORE', KEYS[1], tid) then
  return {'not_waiting'}
end
redis.call('ZREM', KEYS[1], tid)
redis.call('HSET', ARGV[4] .. tid, 'state', 'called', 'clerk', ARGV[1],
  'called_at', ARGV[2], 'deadline', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], tid)
redis.call('HSET', KEYS[3], ARGV[1], tid)
return {'ok', tid, redis.call('HGETALL', ARGV[4] .. tid)}
