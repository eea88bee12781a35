-- Take the earliest slot a call may take in its pool's pacing schedule, or refuse at once.
-- Mirrors policy/pacing.cpp plan_slot(): slots at k * T (unix us); a new slot keeps T from
-- every taken slot; far slots (open_slots or more after the first) are held per tier:
-- k % 4 == 0 core only, k % 4 == 2 core and standard.
-- KEYS[1]: the pool's schedule, a sorted set of taken slots (score = member = unix us)
-- KEYS[2]: the client's earliest next slot (unix us), used when client_spacing > 0
-- ARGV: now_us, spacing_us (T), client_spacing_us (0: none), tier (0 core, 1 standard,
--       2 batch), max_wait_us, open_slots, lane_period, history_us (slots are kept this long
--       past their time: other instances' clocks may lag)
-- Returns {granted (0/1), slot_us, retry_after_us}
local now = tonumber(ARGV[1])
local t = tonumber(ARGV[2])
local client_spacing = tonumber(ARGV[3])
local tier = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
local open_slots = tonumber(ARGV[6])
local lane_period = tonumber(ARGV[7])
local history = tonumber(ARGV[8])

local function ceil_div(n, d)
  local k = math.floor(n / d)
  while k * d < n do k = k + 1 end
  while (k - 1) * d >= n do k = k - 1 end
  return k
end

local function may_take(k, first_k)
  if k - first_k < open_slots or tier == 0 then return true end
  local lane = k % lane_period
  if lane == 0 then return false end
  if lane == 2 then return tier == 1 end
  return true
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - t - history))
local first_k = ceil_div(now, t)
local k = first_k
local client_next = 0
if client_spacing > 0 then
  client_next = tonumber(redis.call('GET', KEYS[2]) or '0')
  if client_next > 0 then k = math.max(k, ceil_div(client_next, t)) end
end
-- Slots at or before the first candidate - T cannot be near it.
local taken = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%.0f', k * t - t), '+inf')

local limit = k + 4 * #taken + 2 * lane_period + open_slots + 2
local j = 1
while k < limit do
  if may_take(k, first_k) then
    local s = k * t
    while j <= #taken and tonumber(taken[j]) <= s - t do j = j + 1 end
    if not (j <= #taken and tonumber(taken[j]) < s + t) then break end
  end
  k = k + 1
end

local slot = k * t
local wait = slot - now
if k == limit or wait > max_wait then
  return {0, 0, math.max(wait - max_wait, 1000)}
end
local member = string.format('%.0f', slot)
redis.call('ZADD', KEYS[1], member, member)
-- The schedule outlives its last slot by the history and a second.
local ttl_ms = math.floor((wait + history) / 1000) + 1000
if redis.call('PTTL', KEYS[1]) < ttl_ms then redis.call('PEXPIRE', KEYS[1], ttl_ms) end
if client_spacing > 0 then
  local next_slot = slot + client_spacing
  redis.call('SET', KEYS[2], string.format('%.0f', next_slot), 'PX',
             math.floor((next_slot - now + history) / 1000) + 1000)
end
return {1, slot, 0}
