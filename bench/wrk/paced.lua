-- A fixed-rate load for the noisy-neighbour run: GET /v1/widget/services for the tenant of BENCH_DATA
-- (victim.tsv or flood.tsv) at BENCH_RATE requests per second per wrk thread. Each answer's connection
-- waits for the next free send time of a thread-wide schedule (one every 1000/BENCH_RATE ms, on the
-- monotonic clock through LuaJIT's ffi), so the rate holds whatever the latency, as long as there are
-- enough connections. Statuses are counted (429 = refused by the rate limit).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local req, interval, next_at

function init(args)
   local r = common.rows(false)[1]
   req = wrk.format("GET", "/v1/widget/services", common.headers(r[1]))
   interval = 1000 / tonumber(os.getenv("BENCH_RATE") or "500")
   next_at = now_ms()
end

function request()
   return req
end

function delay()
   local now = now_ms()
   next_at = math.max(next_at + interval, now)
   return math.floor(next_at - now + 0.5)
end

function response(status, headers, body)
   common.count(status)
end
