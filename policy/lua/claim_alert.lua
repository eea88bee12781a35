-- Claim an alert once per pool-day and threshold, over all instances.
-- KEYS[1]: the pool-day's alerts hash (field: threshold); ARGV: threshold, expire_at (unix s).
-- Returns 1 for the first caller, 0 after.
local first = redis.call('HSETNX', KEYS[1], ARGV[1], 1)
if first == 1 then redis.call('EXPIREAT', KEYS[1], ARGV[2]) end
return first
