-- Add or remove a clerk among the guests of a visit (colleagues, interpreters).
-- KEYS: ticket
-- ARGV: 'add' or 'remove', clerk id, most guests allowed
local t = redis.call('HMGET', KEYS[1], 'state', 'guests')
if not t[1] then return {'unknown_ticket'} end
if t[1] ~= 'in_visit' and t[1] ~= 'called' then return {'not_in_visit'} end
local guests, found = {}, false
for id in string.gmatch(t[2] or '', '[^,]+') do
  if id == ARGV[2] then found = true end
  if id ~= ARGV[2] or ARGV[1] == 'add' then table.insert(guests, id) end
end
if ARGV[1] == 'add' and not found then
  if #guests >= tonumber(ARGV[3]) then return {'too_many_guests'} end
  table.insert(guests, ARGV[2])
end
redis.call('HSET', KEYS[1], 'guests', table.concat(guests, ','))
return {'ok'}
