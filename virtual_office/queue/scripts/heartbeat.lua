-- A sign of life from a citizen's browser; online '1'/'0' marks (dis)connection.
-- The first sign of life of an unconfirmed ticket confirms it: it takes its place at the
-- back of its priority, so a ticket that connects late never pushes anyone back.
-- The queue's score is that time less priority x 10^13 ms (300 years): a higher priority
-- comes first, each priority in order of confirming.
-- KEYS: seen, ticket, queue, unconfirmed
-- ARGV: ticket id, now ms, online ('1', '0' or '' to leave it)
if redis.call('EXISTS', KEYS[2]) == 0 then return {'unknown_ticket'} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local confirmed = ''
if ARGV[3] ~= '0' and redis.call('ZREM', KEYS[4], ARGV[1]) == 1 then
  local step = PRIORITY_STEP * (tonumber(redis.call('HGET', KEYS[2], 'priority')) or 0)
  -- Strictly after the last one of the same priority, so two in the same millisecond keep their order.
  local at = tonumber(ARGV[2])
  local last = redis.call('ZREVRANGEBYSCORE', KEYS[3], '(' .. (PRIORITY_STEP - step), -step, 'WITHSCORES', 'LIMIT', 0, 1)
  if last[2] and tonumber(last[2]) + step >= at then at = tonumber(last[2]) + step + 1 end
  redis.call('HSET', KEYS[2], 'joined_at', at)
  redis.call('ZADD', KEYS[3], at - step, ARGV[1])
  confirmed = '1'
end
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], 'offline_since', '')
elseif ARGV[3] == '0' then
  redis.call('HSET', KEYS[2], 'offline_since', ARGV[2])
end
return {'ok', redis.call('HGET', KEYS[2], 'state'), confirmed}
