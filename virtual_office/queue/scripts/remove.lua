-- A ticket leaves the office: the citizen left, their grace ran out, their page never
-- connected, or the office is removed.
-- KEYS: queue, seen, called, serving, ticket, stats, unconfirmed
-- ARGV: ticket id, reason (left | expired | unconfirmed | removed; the statistics' counter),
--       seen cutoff ms ('' = unconditional), '1' to end it only while unconfirmed
local state = redis.call('HGET', KEYS[5], 'state')
if not state then return {'unknown_ticket'} end
if ARGV[3] ~= '' then
  -- The sweep read 'seen' a moment ago; a citizen who came back since keeps the place.
  local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if seen and tonumber(seen) >= tonumber(ARGV[3]) then return {'fresh'} end
end
-- The sweep read 'unconfirmed' a moment ago; a page that connected since keeps the place.
if ARGV[4] == '1' and not redis.call('ZSCORE', KEYS[7], ARGV[1]) then return {'fresh'} end
local clerk = redis.call('HGET', KEYS[5], 'clerk') or ''
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if clerk ~= '' and redis.call('HGET', KEYS[4], clerk) == ARGV[1] then
  redis.call('HDEL', KEYS[4], clerk)
end
redis.call('DEL', KEYS[5])
redis.call('HINCRBY', KEYS[6], ARGV[2], 1)
redis.call('EXPIRE', KEYS[6], STATS_TTL)
return {'ok', state, clerk}
