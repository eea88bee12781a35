-- Give back calls that never reached the upstream (or an unused lease); never below zero.
-- KEYS[1]: the pool-day hash. ARGV: client, calls, expire_at (unix s)
-- Returns {pool_used, client_used, spent}
local key = KEYS[1]
local field = 'c:' .. ARGV[1]
local calls = tonumber(ARGV[2])
local v = redis.call('HMGET', key, 'used', 'spent', field)
local used = math.max((tonumber(v[1]) or 0) - calls, 0)
local client_used = math.max((tonumber(v[3]) or 0) - calls, 0)
redis.call('HSET', key, 'used', used, field, client_used)
redis.call('EXPIREAT', key, ARGV[3])
return {used, client_used, v[2] == '1' and 1 or 0}
