-- Give the lease up if this holder still holds it (compare-and-delete): a holder whose
-- lease lapsed and was taken by another must not delete the other's.
-- KEYS: the lease
-- ARGV: holder id
-- Returns 1 if it was released, 0 if this holder did not hold it.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
