-- wrk script: POST the JSON body named by the BODY environment variable (GET when BODY is empty),
-- or GET the space-separated PATHS in turn.
local path = os.getenv("BODY") or ""
if path ~= "" then
  local file = assert(io.open(path, "r"))
  wrk.method = "POST"
  wrk.body = file:read("*a")
  wrk.headers["Content-Type"] = "application/json"
  file:close()
end

local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "", "%S+") do table.insert(paths, p) end
if #paths > 0 then
  local k = 0
  request = function()
    k = k % #paths + 1
    return wrk.format("GET", paths[k])
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
