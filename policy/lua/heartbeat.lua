-- An instance says it is alive (store_failure: share) and learns how many are.
-- KEYS[1]: the instance sorted set (member: instance id, score: expiry in ms, Redis clock).
-- ARGV: instance id, time to live in ms. Returns the number of live instances.
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
