-- Cancel a held or confirmed booking, by the citizen or by the office: its places are
-- given back and its personal data deleted; the fields before are returned (for the mail).
-- KEYS: booking, holds, reminders
-- ARGV: 1-4 prefixes, secret hash ('' = the office), now ms, by (citizen | office), reason
local b = redis.call('HMGET', KEYS[1], 'state', 'secret', 'day', 'id')
local refused = refusal(b[1], b[2], ARGV[5])
if refused then return {refused} end
if b[1] == 'checked_in' then return {'invalid'} end
local before = redis.call('HGETALL', KEYS[1])
release(KEYS[1])
redis.call('ZREM', P_DAY .. b[3], b[4])
redis.call('ZREM', KEYS[2], b[4])
if b[1] == 'confirmed' then count(b[3], 'appointments_cancelled', 1) end
drop_reminders(KEYS[3], KEYS[1], b[4])
forget_personal(KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelled_by', ARGV[7], 'reason', ARGV[8], 'cancelled_at', ARGV[6])
return {'ok', before}
