-- Widget reads, rotating over the tenants of BENCH_DATA (reads.tsv: key, service, professional, from,
-- to 7 days, to 28 days). BENCH_KIND: services | config | avail7 | avail28. Requests are built once in
-- init(), so the client's cost per request is the same for every kind and for nginx.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local reqs, n, i = {}, 0, 0

function init(args)
   local kind = os.getenv("BENCH_KIND") or "services"
   for _, r in ipairs(common.rows(false)) do
      local path
      if kind == "services" then
         path = "/v1/widget/services"
      elseif kind == "config" then
         path = "/v1/widget/config"
      elseif kind == "avail7" or kind == "avail28" then
         path = string.format("/v1/widget/availability?service_id=%s&provider_id=%s&from=%s&to=%s", r[2], r[3],
            r[4], kind == "avail7" and r[5] or r[6])
      else
         error("unknown BENCH_KIND " .. kind)
      end
      table.insert(reqs, wrk.format("GET", path, common.headers(r[1])))
   end
   n = #reqs
   i = id -- threads start at different tenants
end

function request()
   i = i + 1
   return reqs[i % n + 1]
end
