-- wrk -s bench/status.lua: counts the response statuses and keeps the first non-2xx body,
-- printed when the run is done ("statuses: 200=N 503=M", "first non-2xx: ..."). Used by
-- bench/throughput only for its diagnostic runs: the response() hook slows wrk down.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  sample = ""
end

function response(status, headers, body)
  local key = tostring(status)
  counts[key] = (counts[key] or 0) + 1
  if status >= 300 and sample == "" then
    sample = key .. " " .. string.sub(body or "", 1, 300)
  end
end

function done(summary, latency, requests)
  local total, first = {}, ""
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts") or {}) do total[key] = (total[key] or 0) + n end
    if first == "" then first = thread:get("sample") or "" end
  end
  local parts = {}
  for key, n in pairs(total) do table.insert(parts, key .. "=" .. n) end
  table.sort(parts)
  io.write("statuses: " .. table.concat(parts, " ") .. "\n")
  if first ~= "" then io.write("first non-2xx: " .. (string.gsub(first, "[\r\n]+", " ")) .. "\n") end
end
