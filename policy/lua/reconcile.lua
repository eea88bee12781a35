-- Alma's X-Exl-Api-Remaining also counts calls that bypassed almagate:
-- the pool's used count becomes at least daily_limit - remaining, and never goes down.
-- KEYS[1]: the pool-day hash. ARGV: floor (daily_limit - remaining), expire_at (unix s)
-- Returns {pool_used, spent}
local key = KEYS[1]
local floor = tonumber(ARGV[1])
local v = redis.call('HMGET', key, 'used', 'spent')
local used = tonumber(v[1]) or 0
if floor > used then
  used = floor
  redis.call('HSET', key, 'used', used)
  redis.call('EXPIREAT', key, ARGV[2])
end
return {used, v[2] == '1' and 1 or 0}
