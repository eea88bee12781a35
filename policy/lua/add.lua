-- Add calls counted by one instance while Redis was down (store_failure: share).
-- Unconditional: those calls were made. KEYS[1]: the pool-day hash.
-- ARGV: client, calls, expire_at (unix s). Returns {pool_used, client_used}
local key = KEYS[1]
local used = redis.call('HINCRBY', KEYS[1], 'used', ARGV[2])
local client_used = redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[1], ARGV[2])
redis.call('EXPIREAT', key, ARGV[3])
return {used, client_used}
