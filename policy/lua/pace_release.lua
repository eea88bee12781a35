-- Give back a slot of a call that gave up before it (policy/pacing.cpp may_release and
-- client_next_after_release). KEYS[1]: the pool's schedule; KEYS[2]: the client's next slot.
-- ARGV: slot_us, now_us, client_spacing_us (0: none). Returns 1 if the slot was freed.
local slot = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local client_spacing = tonumber(ARGV[3])
if slot <= now then return 0 end
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if client_spacing > 0 then
  local client_next = tonumber(redis.call('GET', KEYS[2]) or '0')
  if client_next == slot + client_spacing then
    redis.call('SET', KEYS[2], ARGV[1], 'KEEPTTL')
  end
end
return 1
