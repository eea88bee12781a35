-- An upstream 429 DAILY_THRESHOLD: the pool is spent until its reset.
-- KEYS[1]: the pool-day hash. ARGV: expire_at (unix s)
redis.call('HSET', KEYS[1], 'spent', '1')
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return 1
