-- Widget bookings on distinct free slots: BENCH_DATA is slots.tsv (key, service, professional, start,
-- idempotency key), one booking per line; each wrk thread takes its own share of the lines and sends each
-- once, so no two requests ever ask for the same slot. Statuses are counted (409 = a conflict); when a
-- thread runs out of slots it sends GET /healthz and counts it as exhausted.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local slots, next_slot = {}, 0

function init(args)
   slots = common.rows(true)
end

function request()
   next_slot = next_slot + 1
   local s = slots[next_slot]
   if not s then
      exhausted = exhausted + 1
      return wrk.format("GET", "/healthz")
   end
   local body = string.format(
      '{"service_id":"%s","provider_id":"%s","start":"%s","customer":{"name":"Bench Customer","email":"bench%d@example.com"}}',
      s[2], s[3], s[4], next_slot)
   return wrk.format("POST", "/v1/widget/bookings",
      common.headers(s[1], { ["Content-Type"] = "application/json", ["Idempotency-Key"] = s[5] }), body)
end

function response(status, headers, body)
   common.count(status)
end
