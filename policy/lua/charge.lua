-- Charge calls to a client's quota and its pool in one atomic step.
-- Same decision as policy/budget.cpp decide(): quota, then pool, then the tier's reserve.
-- KEYS[1]: the pool-day hash {used, spent, c:<client>}
-- ARGV: client, daily_limit, reserve, quota (-1: none), min_calls, max_calls, expire_at (unix s)
-- Returns {outcome, granted, pool_used, client_used, spent}
-- outcome: 0 charged, 1 quota_spent, 2 pool_spent, 3 reserve_reached
local key = KEYS[1]
local field = 'c:' .. ARGV[1]
local limit = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local quota = tonumber(ARGV[4])
local min_calls = tonumber(ARGV[5])
local max_calls = tonumber(ARGV[6])

local v = redis.call('HMGET', key, 'used', 'spent', field)
local used = tonumber(v[1]) or 0
local spent = v[2] == '1'
local client_used = tonumber(v[3]) or 0

local function reply(outcome, granted)
  return {outcome, granted, used, client_used, spent and 1 or 0}
end

if quota >= 0 and quota - client_used < min_calls then return reply(1, 0) end
local pool_left = limit - used
if spent or pool_left <= 0 then return reply(2, 0) end
if pool_left < min_calls and reserve <= 0 then return reply(2, 0) end
local above_reserve = pool_left - reserve
if above_reserve < min_calls then return reply(3, 0) end
local granted = math.min(max_calls, above_reserve)
if quota >= 0 then granted = math.min(granted, quota - client_used) end

used = redis.call('HINCRBY', key, 'used', granted)
client_used = redis.call('HINCRBY', key, field, granted)
redis.call('EXPIREAT', key, ARGV[7])
return reply(0, granted)
