-- fsm chat turns: BENCH_DATA is convs.tsv (key, conversation id, token, then the four turns it cycles
-- through: a request for the service in words, a professional, a day, start over). Each thread takes its
-- own conversations (many more than its connections) and sends their turns round-robin, so a
-- conversation rarely has two turns in flight (the second would get 409, counted).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local convs, turn, n, i = {}, {}, 0, 0

function init(args)
   for _, c in ipairs(common.rows(true)) do
      local path = "/v1/widget/conversations/" .. c[2] .. "/messages"
      local h = common.headers(c[1], { ["Content-Type"] = "application/json", ["X-Conversation-Token"] = c[3] })
      local reqs = {}
      for k = 4, 7 do table.insert(reqs, wrk.format("POST", path, h, c[k])) end
      table.insert(convs, reqs)
      table.insert(turn, 0)
   end
   n = #convs
end

function request()
   i = i % n + 1
   local t = turn[i]
   turn[i] = (t + 1) % 4
   return convs[i][t + 1]
end

function response(status, headers, body)
   common.count(status)
end
