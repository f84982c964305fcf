-- Shared by the wrk scripts of `make bench`: thread numbering, the TSV data files written by
-- bench/prepare.mjs, status counting, and one summary line for scripts/bench.sh:
--   BENCH_JSON {"requests":…,"rps":…,"p50_us":…,"p99_us":…,"statuses":{…},…}
-- Environment: BENCH_DATA (the TSV file), WRK_THREADS (wrk -t), BENCH_ORIGIN.
local M = {}

M.origin = os.getenv("BENCH_ORIGIN") or "https://shop.example.com"
M.nthreads = tonumber(os.getenv("WRK_THREADS") or "1")

local threads, counter = {}, 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local function split(line)
   local out = {}
   for field in string.gmatch(line, "[^\t]+") do table.insert(out, field) end
   return out
end

-- Every row of the data file (mine = true: only this thread's share, rows i with i % threads == id).
function M.rows(mine)
   local out, i = {}, 0
   local file = os.getenv("BENCH_DATA")
   for line in io.lines(file) do
      if line ~= "" then
         if not mine or i % M.nthreads == id then table.insert(out, split(line)) end
         i = i + 1
      end
   end
   if #out == 0 then error("no rows for thread " .. tostring(id) .. " in " .. file) end
   return out
end

-- The widget's headers for a key.
function M.headers(key, extra)
   local h = { ["X-Api-Key"] = key, ["Origin"] = M.origin, ["Accept"] = "application/json" }
   for k, v in pairs(extra or {}) do h[k] = v end
   return h
end

-- Per-thread counters, read by done() through thread:get.
statuses = {}
exhausted = 0
function M.count(status)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local st, ex = {}, 0
   for _, t in ipairs(threads) do
      local s = t:get("statuses")
      if s then for k, v in pairs(s) do st[k] = (st[k] or 0) + v end end
      ex = ex + (t:get("exhausted") or 0)
   end
   local parts = {}
   for k, v in pairs(st) do table.insert(parts, string.format('"%s":%d', tostring(k), v)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"mean_us":%.1f,"p50_us":%d,"p90_us":%d,' ..
      '"p99_us":%d,"max_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"statuses":{%s},"exhausted":%d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, e.connect, e.read,
      e.write, e.status, e.timeout, table.concat(parts, ","), ex))
end

return M
