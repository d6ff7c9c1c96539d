-- Set who else may join a visit (colleagues, interpreters), while the visit lasts.
-- KEYS: ticket
-- ARGV: comma-separated clerk ids
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'unknown_ticket'} end
if state ~= 'in_visit' and state ~= 'called' then return {'not_in_visit'} end
redis.call('HSET', KEYS[1], 'guests', ARGV[1])
return {'ok'}
