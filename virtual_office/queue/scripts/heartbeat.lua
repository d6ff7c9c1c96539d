-- A sign of life from a citizen's browser; online '1'/'0' marks (dis)connection.
-- KEYS: seen, ticket
-- ARGV: ticket id, now ms, online ('1', '0' or '' to leave it)
if redis.call('EXISTS', KEYS[2]) == 0 then return {'unknown_ticket'} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], 'offline_since', '')
elseif ARGV[3] == '0' then
  redis.call('HSET', KEYS[2], 'offline_since', ARGV[2])
end
return {'ok', redis.call('HGET', KEYS[2], 'state')}
